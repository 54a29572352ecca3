//! Auxiliary vector keys (`linux/auxvec.h`, `asm/auxvec.h`): the
//! `(key, value)` pairs execve puts above the environment.

constants! {
    /// Ends the vector.
    AT_NULL: u64 = 0;
    AT_IGNORE: u64 = 1;
    AT_EXECFD: u64 = 2;
    /// Address of the program headers.
    AT_PHDR: u64 = 3;
    /// Size of one program header.
    AT_PHENT: u64 = 4;
    /// Number of program headers.
    AT_PHNUM: u64 = 5;
    AT_PAGESZ: u64 = 6;
    /// Load address of the interpreter.
    AT_BASE: u64 = 7;
    AT_FLAGS: u64 = 8;
    /// Entry point of the program.
    AT_ENTRY: u64 = 9;
    AT_NOTELF: u64 = 10;
    AT_UID: u64 = 11;
    AT_EUID: u64 = 12;
    AT_GID: u64 = 13;
    AT_EGID: u64 = 14;
    /// Address of a string naming the platform ("x86_64").
    AT_PLATFORM: u64 = 15;
    AT_HWCAP: u64 = 16;
    /// Clock ticks per second (`times`).
    AT_CLKTCK: u64 = 17;
    /// Non-zero for set-id programs.
    AT_SECURE: u64 = 23;
    AT_BASE_PLATFORM: u64 = 24;
    /// Address of 16 random bytes.
    AT_RANDOM: u64 = 25;
    AT_HWCAP2: u64 = 26;
    /// Address of the path given to execve.
    AT_EXECFN: u64 = 31;
    /// Address of the vDSO.
    AT_SYSINFO_EHDR: u64 = 33;
    AT_MINSIGSTKSZ: u64 = 51;
}
