//! Small digit-string helpers shared by the identifier types.

/// True when `s` is non-empty and made only of ASCII decimal digits.
pub(crate) fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The Luhn (mod 10) check digit to append to `payload` (ITU-T E.118).
///
/// `payload` must hold ASCII digits only; callers check that first.
pub(crate) fn luhn_check_digit(payload: &[u8]) -> u8 {
    let mut sum: u32 = 0;
    // The rightmost payload digit sits next to the check digit, so it is the
    // first one doubled.
    for (i, b) in payload.iter().rev().enumerate() {
        let mut d = u32::from(b.saturating_sub(b'0'));
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    // `sum % 10` is below 10, so the result always fits in a digit.
    b'0' + ((10 - sum % 10) % 10) as u8
}

/// True when the last digit of `digits` (ASCII) is the Luhn check digit of
/// the rest: ICCIDs and payment card numbers.
pub fn luhn_valid(digits: &[u8]) -> bool {
    match digits.split_last() {
        Some((check, payload)) => luhn_check_digit(payload) == *check,
        None => false,
    }
}

/// The remainder of a decimal digit string divided by 97 (ISO 7064 MOD 97-10),
/// computed digit by digit so no big-integer type is needed.
pub(crate) fn mod97(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |r, b| (r * 10 + u32::from(b.saturating_sub(b'0'))) % 97)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_known_values() {
        // The classic worked example: 7992739871 has check digit 3.
        assert_eq!(luhn_check_digit(b"7992739871"), b'3');
        assert!(luhn_valid(b"79927398713"));
        assert!(!luhn_valid(b"79927398710"));
        assert!(!luhn_valid(b""));
    }

    #[test]
    fn mod97_small_numbers() {
        assert_eq!(mod97(b"97"), 0);
        assert_eq!(mod97(b"98"), 1);
        assert_eq!(mod97(b"0000000195"), 1);
    }
}
