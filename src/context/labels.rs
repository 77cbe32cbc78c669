//! Labels: rules that tag a process by its program, its arguments or the
//! audit key of its exec, inherited by its descendants.

use std::fmt;

/// Most label rules a tracker takes: a process's labels are a 64-bit set.
pub const MAX_LABEL_RULES: usize = 64;

/// A rule that gives processes a label.
#[derive(Debug, Clone)]
pub struct LabelRule {
    /// The label (written in the `labels` list of events).
    pub label: String,
    /// What the rule looks at.
    pub when: Match,
    /// Whether the descendants of a labelled process (forked or exec'd after
    /// it was labelled) carry the label too. On by default.
    pub inherit: bool,
}

impl LabelRule {
    /// A rule giving `label` to what `when` matches, inherited.
    pub fn new(label: impl Into<String>, when: Match) -> LabelRule {
        LabelRule {
            label: label.into(),
            when,
            inherit: true,
        }
    }

    /// A rule from its text form, as the examples take it on their command
    /// line: `LABEL:exe:GLOB`, `LABEL:argv:GLOB`, `LABEL:key:KEY`, and with
    /// feature `regex` `LABEL:exe~REGEX`, `LABEL:argv~REGEX`; a `!` after
    /// the label (`LABEL!:exe:GLOB`) makes it not inherited.
    ///
    /// ```
    /// use auditstream::context::LabelRule;
    ///
    /// let r = LabelRule::parse("ssh:exe:*/sshd").unwrap();
    /// assert_eq!(r.label, "ssh");
    /// assert!(r.inherit);
    /// assert!(LabelRule::parse("x!:key:exec").is_some_and(|r| !r.inherit));
    /// assert!(LabelRule::parse("nothing").is_none());
    /// ```
    pub fn parse(text: &str) -> Option<LabelRule> {
        let (label, rest) = text.split_once(':')?;
        let (label, inherit) = match label.strip_suffix('!') {
            Some(l) => (l, false),
            None => (label, true),
        };
        if label.is_empty() {
            return None;
        }
        let i = rest.find([':', '~'])?;
        let (what, pat) = (&rest[..i], &rest[i + 1..]);
        let regex = rest.as_bytes()[i] == b'~';
        let pattern = |p: &str| -> Option<Pattern> {
            if regex {
                #[cfg(feature = "regex")]
                return Pattern::regex(p).ok();
                #[cfg(not(feature = "regex"))]
                return None;
            }
            Some(Pattern::glob(p))
        };
        let when = match what {
            "exe" => Match::Exe(pattern(pat)?),
            "argv" => Match::Argv(pattern(pat)?),
            "key" if !regex => Match::Key(pat.as_bytes().to_vec()),
            _ => return None,
        };
        Some(LabelRule {
            label: label.to_string(),
            when,
            inherit,
        })
    }

    /// The same rule, not inherited by descendants.
    pub fn not_inherited(mut self) -> LabelRule {
        self.inherit = false;
        self
    }
}

/// What a [`LabelRule`] matches, at each exec.
#[derive(Debug, Clone)]
pub enum Match {
    /// The executable's path (`exe=`).
    Exe(Pattern),
    /// The command line: the arguments joined by single spaces.
    Argv(Pattern),
    /// One of the audit keys of the exec event (`key=`), exactly.
    Key(Vec<u8>),
}

/// A pattern over bytes.
#[derive(Clone)]
pub enum Pattern {
    /// A glob over the whole string: `*` matches any run of bytes (`/` too),
    /// `?` any one byte, every other byte itself.
    Glob(Vec<u8>),
    /// A regular expression (feature `regex`), searched anywhere in the
    /// string unless anchored.
    #[cfg(feature = "regex")]
    Regex(regex::bytes::Regex),
}

impl Pattern {
    /// A glob.
    pub fn glob(p: impl AsRef<[u8]>) -> Pattern {
        Pattern::Glob(p.as_ref().to_vec())
    }

    /// A regular expression over bytes (feature `regex`).
    #[cfg(feature = "regex")]
    pub fn regex(re: &str) -> Result<Pattern, regex::Error> {
        regex::bytes::Regex::new(re).map(Pattern::Regex)
    }

    /// Whether `s` matches.
    pub fn matches(&self, s: &[u8]) -> bool {
        match self {
            Pattern::Glob(g) => glob(g, s),
            #[cfg(feature = "regex")]
            Pattern::Regex(r) => r.is_match(s),
        }
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Glob(g) => write!(f, "Glob({:?})", crate::BStr(g)),
            #[cfg(feature = "regex")]
            Pattern::Regex(r) => write!(f, "Regex({:?})", r.as_str()),
        }
    }
}

/// Glob match, iterative: on a mismatch after a `*`, the `*` takes one more
/// byte. Time at most `pattern.len() * s.len()`.
fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if c == b'?' || c == s[si] => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|&c| c == b'*')
}

/// A set of labels, one bit per rule.
pub(crate) type LabelSet = u64;

/// The rules of a tracker, checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct Labeler {
    rules: Vec<LabelRule>,
    /// The bits of the inherited rules.
    inherited: LabelSet,
    needs_argv: bool,
}

impl Labeler {
    pub(crate) fn new(rules: Vec<LabelRule>) -> Option<Labeler> {
        if rules.len() > MAX_LABEL_RULES {
            return None;
        }
        let mut inherited = 0;
        for (i, r) in rules.iter().enumerate() {
            if r.inherit {
                inherited |= 1 << i;
            }
        }
        let needs_argv = rules.iter().any(|r| matches!(r.when, Match::Argv(_)));
        Some(Labeler {
            rules,
            inherited,
            needs_argv,
        })
    }

    /// The labels a process gets from its parent's.
    pub(crate) fn inherit(&self, parent: LabelSet) -> LabelSet {
        parent & self.inherited
    }

    /// The labels an exec matches. `scratch` holds the joined command line.
    pub(crate) fn matching<A: AsRef<[u8]>>(
        &self,
        exe: Option<&[u8]>,
        argv: &[A],
        keys: &[impl AsRef<[u8]>],
        scratch: &mut Vec<u8>,
    ) -> LabelSet {
        if self.rules.is_empty() {
            return 0;
        }
        if self.needs_argv {
            scratch.clear();
            for (i, a) in argv.iter().enumerate() {
                if i > 0 {
                    scratch.push(b' ');
                }
                scratch.extend_from_slice(a.as_ref());
            }
        }
        let mut set = 0;
        for (i, r) in self.rules.iter().enumerate() {
            let hit = match &r.when {
                Match::Exe(p) => exe.is_some_and(|e| p.matches(e)),
                Match::Argv(p) => p.matches(scratch),
                Match::Key(k) => keys.iter().any(|x| x.as_ref() == &k[..]),
            };
            if hit {
                set |= 1 << i;
            }
        }
        set
    }

    /// The names of the labels in `set`, in rule order, without repeats.
    pub(crate) fn names<'a>(&'a self, set: LabelSet, out: &mut Vec<&'a str>) {
        for (i, r) in self.rules.iter().enumerate() {
            if set & (1 << i) != 0 && !out.contains(&r.label.as_str()) {
                out.push(&r.label);
            }
        }
    }

    /// The set of every rule named `label`.
    pub(crate) fn set_of(&self, label: &str) -> LabelSet {
        let mut set = 0;
        for (i, r) in self.rules.iter().enumerate() {
            if r.label == label {
                set |= 1 << i;
            }
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        for (p, s, want) in [
            ("", "", true),
            ("", "a", false),
            ("*", "", true),
            ("*", "/usr/bin/x", true),
            ("/usr/sbin/sshd", "/usr/sbin/sshd", true),
            ("/usr/sbin/sshd", "/usr/sbin/sshd2", false),
            ("*/sshd", "/usr/sbin/sshd", true),
            ("*/apt*", "/usr/bin/apt-get", true),
            ("*/apt*", "/usr/bin/dpkg", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*a*b*c*", "xxaxxbxxcxx", true),
            ("*a*b*c*", "xxaxxcxxbxx", false),
            ("**", "x", true),
            ("a*", "b", false),
        ] {
            assert_eq!(glob(p.as_bytes(), s.as_bytes()), want, "{p:?} {s:?}");
        }
        // long hostile input: linear in the string for a pattern of few stars
        let s = vec![b'a'; 100_000];
        assert!(!glob(b"*b", &s));
    }

    #[test]
    fn rules_match_and_inherit() {
        let l = Labeler::new(vec![
            LabelRule::new("ssh", Match::Exe(Pattern::glob("*/sshd"))),
            LabelRule::new("pkg", Match::Argv(Pattern::glob("apt-get install *"))),
            LabelRule::new("keyed", Match::Key(b"exec".to_vec())).not_inherited(),
        ])
        .unwrap();
        let mut s = Vec::new();
        let none: [&[u8]; 0] = [];
        assert_eq!(l.matching(Some(b"/usr/sbin/sshd"), &none, &none, &mut s), 1);
        assert_eq!(
            l.matching(
                None,
                &[&b"apt-get"[..], b"install", b"curl"],
                &[&b"exec"[..]],
                &mut s
            ),
            2 | 4
        );
        assert_eq!(l.inherit(7), 3);
        let mut names = Vec::new();
        l.names(5, &mut names);
        assert_eq!(names, ["ssh", "keyed"]);
        assert!(Labeler::new(vec![LabelRule::new("x", Match::Key(vec![])); 65]).is_none());
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    /// The obvious recursive matcher (exponential; small inputs only).
    fn naive(p: &[u8], s: &[u8]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some((b'*', rest)) => (0..=s.len()).any(|i| naive(rest, &s[i..])),
            Some((&c, rest)) => {
                s.first().is_some_and(|&x| c == b'?' || c == x) && naive(rest, &s[1..])
            }
        }
    }

    proptest! {
        /// The iterative glob agrees with the naive one.
        #[test]
        fn glob_equals_naive(
            p in proptest::collection::vec(prop_oneof![Just(b'*'), Just(b'?'), Just(b'a'), Just(b'b')], 0..8),
            s in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'*')], 0..10),
        ) {
            prop_assert_eq!(glob(&p, &s), naive(&p, &s));
        }
    }
}
