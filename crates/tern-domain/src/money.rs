//! Money in integer minor units: never a float.

use std::fmt;

/// An ISO 4217 currency code (three upper-case letters) and its exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("the currency must be a three-letter ISO 4217 code")]
    BadCurrency,
    #[error("the amount is not a valid number of {0}")]
    BadAmount(String),
    #[error("the amounts are in different currencies")]
    CurrencyMismatch,
    #[error("the amount is too large")]
    Overflow,
}

impl Currency {
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let b = code.trim().as_bytes();
        if b.len() != 3 || !b.iter().all(u8::is_ascii_alphabetic) {
            return Err(MoneyError::BadCurrency);
        }
        Ok(Self([
            b[0].to_ascii_uppercase(),
            b[1].to_ascii_uppercase(),
            b[2].to_ascii_uppercase(),
        ]))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point (ISO 4217 minor unit).
    pub fn exponent(&self) -> u32 {
        match self.as_str() {
            "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" => 0,
            "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
            _ => 2,
        }
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount of money as the API shows it: `{"amount_minor":1250,"currency":"USD"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount_minor: i64, currency: Currency) -> Self {
        Self { amount_minor, currency }
    }

    /// Parses a decimal amount such as `20.00` in the currency's exponent.
    pub fn parse_decimal(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let bad = || MoneyError::BadAmount(currency.to_string());
        let t = text.trim();
        let (neg, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        let exp = currency.exponent() as usize;
        if whole.is_empty()
            || frac.len() > exp
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| MoneyError::Overflow)?;
        let frac_padded = format!("{frac:0<exp$}");
        let frac: i64 = if exp == 0 {
            0
        } else {
            frac_padded.parse().map_err(|_| bad())?
        };
        let scale = 10_i64.pow(exp as u32);
        let minor = whole
            .checked_mul(scale)
            .and_then(|w| w.checked_add(frac))
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(if neg { -minor } else { minor }, currency))
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch);
        }
        let sum = self
            .amount_minor
            .checked_add(other.amount_minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(sum, self.currency))
    }
}

impl fmt::Display for Money {
    /// `12.50 USD`: for receipts and emails, never parsed back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = self.currency.exponent();
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        if exp == 0 {
            return write!(f, "{sign}{abs} {}", self.currency);
        }
        let scale = 10_u64.pow(exp);
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            abs / scale,
            abs % scale,
            self.currency,
            width = exp as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        let usd = Currency::parse("usd").unwrap();
        let m = Money::parse_decimal("20.5", usd).unwrap();
        assert_eq!(m.amount_minor, 2050);
        assert_eq!(m.to_string(), "20.50 USD");
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(Money::parse_decimal("1200", jpy).unwrap().to_string(), "1200 JPY");
        assert!(Money::parse_decimal("12.5", jpy).is_err());
        assert!(Money::parse_decimal("1.234", usd).is_err());
        assert!(Money::parse_decimal("abc", usd).is_err());
        assert!(Currency::parse("US").is_err());
    }

    #[test]
    fn refuses_mixed_currencies() {
        let a = Money::new(1, Currency::parse("USD").unwrap());
        let b = Money::new(1, Currency::parse("EUR").unwrap());
        assert_eq!(a.checked_add(b), Err(MoneyError::CurrencyMismatch));
    }
}

/// Which part of a wallet money sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Paid for (vouchers bought, top-ups): refunded at closure.
    Cash,
    /// Promotional credit: spent first, never refunded.
    Promo,
}

words!(Bucket {
    Cash = "cash",
    Promo = "promo",
});
