//! Recovery codes: ten random codes of ten characters (50 bits each) from
//! an alphabet without look-alikes, shown as `xxxxx-xxxxx`.

use rand::Rng;
use rand::rngs::OsRng;

/// How many recovery codes enrolment hands out.
pub const RECOVERY_CODES: usize = 10;

/// Crockford's base 32 in lower case: no i, l, o or u.
const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";

pub(super) fn generate() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..10)
                .map(|_| ALPHABET[OsRng.gen_range(0..ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// The code as stored: lower case, without dashes or spaces, and the
/// letters people mistake for digits read as those digits.
pub fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_distinct_codes_that_read_back() {
        let codes = generate();
        assert_eq!(codes.len(), 10);
        let set: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(set.len(), 10);
        for c in &codes {
            assert_eq!(c.len(), 11);
            assert_eq!(normalise_recovery_code(&c.to_uppercase()), c.replace('-', ""));
        }
        assert_eq!(normalise_recovery_code(" AbO1l-I "), "ab0111");
    }
}
