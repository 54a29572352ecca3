//! init's command line: options, then a program or a script.

/// Settings that apply to every program init runs.
#[derive(Debug, Default, PartialEq)]
pub struct Options {
    pub env: Vec<(String, String)>,
    pub cwd: Option<String>,
    pub stdin: Option<String>,
    pub stdout: Option<String>,
    pub stderr: Option<String>,
}

/// What to run.
#[derive(Debug, PartialEq)]
pub enum Invocation {
    Program(Vec<String>),
    Script(String),
    /// A run bundle on this device (see bundle.rs).
    Bundle(String),
    Nothing,
}

/// Decodes `%XX` escapes (anything else is kept as it is).
pub fn percent_decode(word: &str) -> String {
    let bytes = word.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses init's (still percent-encoded) arguments.
pub fn parse(raw: impl Iterator<Item = String>) -> Result<(Options, Invocation), String> {
    let mut words = raw.map(|w| percent_decode(&w));
    let mut options = Options::default();
    while let Some(word) = words.next() {
        let mut value = |name: &str| words.next().ok_or(format!("{name} needs a value"));
        match word.as_str() {
            "--env" => {
                let pair = value("--env")?;
                let (k, v) = pair
                    .split_once('=')
                    .ok_or(format!("--env {pair}: expected K=V"))?;
                options.env.push((k.to_string(), v.to_string()));
            }
            "--cwd" => options.cwd = Some(value("--cwd")?),
            "--stdin" => options.stdin = Some(value("--stdin")?),
            "--stdout" => options.stdout = Some(value("--stdout")?),
            "--stderr" => options.stderr = Some(value("--stderr")?),
            "--script" => return Ok((options, Invocation::Script(value("--script")?))),
            "--bundle" => return Ok((options, Invocation::Bundle(value("--bundle")?))),
            "--" => return Ok((options, program(words.collect()))),
            other if other.starts_with("--") => return Err(format!("unknown option {other}")),
            _ => {
                return Ok((
                    options,
                    program(std::iter::once(word).chain(words).collect()),
                ))
            }
        }
    }
    Ok((options, Invocation::Nothing))
}

fn program(words: Vec<String>) -> Invocation {
    if words.is_empty() {
        Invocation::Nothing
    } else {
        Invocation::Program(words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &[&str]) -> impl Iterator<Item = String> {
        s.iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("two%20words"), "two words");
        assert_eq!(percent_decode("100%25"), "100%");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%C3%BC"), "ü");
    }

    #[test]
    fn options_then_program() {
        let (o, i) = parse(words(&[
            "--env", "A=b%3Dc", "--cwd", "/tmp", "--", "/bin/x", "a%20b", "",
        ]))
        .unwrap();
        assert_eq!(o.env, [("A".to_string(), "b=c".to_string())]);
        assert_eq!(o.cwd.as_deref(), Some("/tmp"));
        assert_eq!(
            i,
            Invocation::Program(vec!["/bin/x".into(), "a b".into(), "".into()])
        );
    }

    #[test]
    fn program_without_separator_and_script() {
        let (_, i) = parse(words(&["/bin/x", "--env"])).unwrap();
        assert_eq!(
            i,
            Invocation::Program(vec!["/bin/x".into(), "--env".into()])
        );
        let (_, i) = parse(words(&["--script", "/etc/s"])).unwrap();
        assert_eq!(i, Invocation::Script("/etc/s".into()));
        assert_eq!(parse(words(&[])).unwrap().1, Invocation::Nothing);
    }

    #[test]
    fn bundle_and_errors() {
        let (_, i) = parse(words(&["--bundle", "/dev/vdb"])).unwrap();
        assert_eq!(i, Invocation::Bundle("/dev/vdb".into()));
        assert!(parse(words(&["--env", "novalue"])).is_err());
        assert!(parse(words(&["--bogus"])).is_err());
        assert!(parse(words(&["--cwd"])).is_err());
    }
}
