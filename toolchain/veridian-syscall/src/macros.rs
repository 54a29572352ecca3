//! Declaration macros. Each item gets a `stable` attribute when the crate is
//! built inside std (a `staged_api` build demands one on every public item).

/// Marks an item stable when built as a dependency of std.
macro_rules! stable {
    ($item:item) => {
        #[cfg_attr(
            feature = "rustc-dep-of-std",
            stable(feature = "veridian_syscall", since = "1.96.0")
        )]
        $item
    };
}

/// Declares `usize` system-call numbers and a lookup from number to name.
macro_rules! numbered {
    ($(#[$doc:meta])* names: $lookup:ident; $($name:ident = $value:literal => $text:literal,)*) => {
        $( stable! { #[doc = $text] pub const $name: usize = $value; } )*
        stable! {
            $(#[$doc])*
            pub fn $lookup(nr: usize) -> Option<&'static str> {
                match nr {
                    $($name => Some($text),)*
                    _ => None,
                }
            }
        }
    };
}

/// Declares `i32` errno values and a lookup from value to description.
macro_rules! errnos {
    ($($name:ident = $value:literal => $text:literal,)*) => {
        $( stable! { #[doc = $text] pub const $name: i32 = $value; } )*
        stable! {
            /// A short description of an errno value, for diagnostics.
            pub fn describe(errno: i32) -> &'static str {
                match errno {
                    $($name => $text,)*
                    _ => "Unknown error",
                }
            }
        }
    };
}

/// Declares public constants, each marked stable inside std.
macro_rules! constants {
    ($($(#[$attr:meta])* $name:ident: $ty:ty = $value:expr;)*) => {
        $( stable! { $(#[$attr])* pub const $name: $ty = $value; } )*
    };
}
