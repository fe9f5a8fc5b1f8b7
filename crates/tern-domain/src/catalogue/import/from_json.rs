//! The JSON catalogue format: `{"plans":[{...}, ...]}`.

use serde_json::{Map, Value};

use super::row::{self, Row, WrongType};
use super::{Collector, FIELDS, ImportError, ImportErrors};
use crate::catalogue::{ErrorCode, Plan};

const SHAPE: &str = "expected an object with a \"plans\" array";

pub(super) fn parse(bytes: &[u8]) -> Result<Vec<Plan>, ImportErrors> {
    let malformed = |message: String| ImportErrors(vec![ImportError::file(ErrorCode::MalformedFile, message)]);
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| malformed(format!("the file is not valid JSON: {e}")))?;
    let Value::Object(top) = doc else {
        return Err(malformed(SHAPE.into()));
    };
    let Some(Value::Array(plans)) = top.get("plans") else {
        return Err(malformed(SHAPE.into()));
    };
    let mut out = Collector::default();
    for key in top.keys().filter(|k| *k != "plans") {
        out.errors.push(ImportError {
            field: Some(key.clone()),
            ..ImportError::file(ErrorCode::UnknownField, "only \"plans\" is allowed at the top level")
        });
    }
    for (i, item) in plans.iter().enumerate() {
        let n = i + 1;
        let Value::Object(fields) = item else {
            out.errors.push(ImportError {
                row: n,
                ..ImportError::file(ErrorCode::InvalidRow, "each plan must be a JSON object")
            });
            continue;
        };
        for key in fields.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
            out.errors.push(ImportError {
                row: n,
                field: Some(key.clone()),
                ..ImportError::file(ErrorCode::UnknownField, "this field is not part of a plan")
            });
        }
        out.row(n, None, row::check(&JsonRow(fields)));
    }
    out.finish()
}

struct JsonRow<'a>(&'a Map<String, Value>);

impl JsonRow<'_> {
    /// The value of `field`, treating `null` like absence.
    fn get(&self, field: &str) -> Option<&Value> {
        self.0.get(field).filter(|v| !v.is_null())
    }
}

impl Row for JsonRow<'_> {
    fn text(&self, field: &'static str) -> Result<Option<String>, WrongType> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(WrongType),
        }
    }

    fn integer(&self, field: &'static str) -> Result<Option<i128>, WrongType> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from))
                .map(Some)
                .ok_or(WrongType),
            Some(_) => Err(WrongType),
        }
    }

    fn boolean(&self, field: &'static str) -> Result<Option<bool>, WrongType> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(WrongType),
        }
    }

    fn list(&self, field: &'static str) -> Result<Option<Vec<String>>, WrongType> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or(WrongType))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(WrongType),
        }
    }
}
