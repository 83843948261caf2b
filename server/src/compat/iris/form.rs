//! JSON bodies read the way DFIR-IRIS's schemas (marshmallow) read them: every field
//! checked, every problem collected, and the lot refused at once as "Data error" with
//! a field → messages map, in marshmallow's words. A route declares the fields it
//! takes (v1.2's and the v2 client's together): anything else is an "Unknown field.".
//! `cid` (the case context, read before) and `csrf_token` (a browser form's) are
//! never a body's fields.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::super::{Params, Refusal};

pub const MISSING: &str = "Missing data for required field.";

pub struct Form<'a> {
    body: &'a Map<String, Value>,
    errors: BTreeMap<String, Vec<String>>,
}

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl<'a> Form<'a> {
    /// The body of `params`, which may hold the fields `allowed` only.
    pub fn new(params: &'a Params, allowed: &[&str]) -> Result<Self, Refusal> {
        let mut form = Self::lenient(params)?;
        let body = form.body;
        for key in body.keys() {
            if !allowed.contains(&key.as_str()) && key != "cid" && key != "csrf_token" {
                form.fail(key, "Unknown field.");
            }
        }
        Ok(form)
    }

    /// The body of `params`, whose fields other than those read are ignored (IRIS v2's
    /// schemas that exclude unknown fields).
    pub fn lenient(params: &'a Params) -> Result<Self, Refusal> {
        let body = match &params.body {
            Value::Object(m) => m,
            Value::Null => &*EMPTY,
            _ => return Err(data_error(json!({ "_schema": ["Invalid input type."] }))),
        };
        Ok(Self {
            body,
            errors: BTreeMap::new(),
        })
    }

    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.entry(field.to_string()).or_default().push(message.into());
    }

    pub fn has(&self, field: &str) -> bool {
        self.body.contains_key(field)
    }

    /// A text field, at least `min` characters long when given; null reads as absent.
    pub fn text(&mut self, field: &str, min: usize) -> Option<String> {
        match self.body.get(field)? {
            Value::Null => None,
            Value::String(s) if s.chars().count() < min => {
                self.fail(field, format!("Shorter than minimum length {min}."));
                None
            }
            Value::String(s) => Some(s.clone()),
            _ => {
                self.fail(field, "Not a valid string.");
                None
            }
        }
    }

    /// A text field that must be there.
    pub fn required_text(&mut self, field: &str, min: usize) -> Option<String> {
        match self.body.get(field) {
            None => {
                self.fail(field, MISSING);
                None
            }
            Some(Value::Null) => {
                self.fail(field, "Field may not be null.");
                None
            }
            Some(_) => self.text(field, min),
        }
    }

    /// An integer field (a number, or a string of digits as marshmallow takes them).
    pub fn int(&mut self, field: &str) -> Option<i64> {
        match self.body.get(field)? {
            Value::Null => None,
            v => match integer(v) {
                Some(n) => Some(n),
                None => {
                    self.fail(field, "Not a valid integer.");
                    None
                }
            },
        }
    }

    pub fn required_int(&mut self, field: &str) -> Option<i64> {
        if !self.body.contains_key(field) {
            self.fail(field, MISSING);
            return None;
        }
        self.int(field)
    }

    /// A boolean as marshmallow reads one: true/false, 1/0, "true"/"false", "y"/"n"...
    pub fn bool(&mut self, field: &str) -> Option<bool> {
        let v = self.body.get(field)?;
        let parsed = match v {
            Value::Null => return None,
            Value::Bool(b) => Some(*b),
            Value::Number(n) => match n.as_i64() {
                Some(1) => Some(true),
                Some(0) => Some(false),
                _ => None,
            },
            Value::String(s) => match s.to_lowercase().as_str() {
                "true" | "t" | "1" | "y" | "yes" | "on" => Some(true),
                "false" | "f" | "0" | "n" | "no" | "off" => Some(false),
                _ => None,
            },
            _ => None,
        };
        if parsed.is_none() {
            self.fail(field, "Not a valid boolean.");
        }
        parsed
    }

    /// A list of integers (ids sent as numbers or strings of digits).
    pub fn ints(&mut self, field: &str) -> Option<Vec<i64>> {
        match self.body.get(field)? {
            Value::Null => None,
            Value::Array(items) => {
                let out: Option<Vec<i64>> = items.iter().map(integer).collect();
                if out.is_none() {
                    self.fail(field, "Not a valid integer.");
                }
                out
            }
            _ => {
                self.fail(field, "Not a valid list.");
                None
            }
        }
    }

    /// An object field kept as it is (`custom_attributes`).
    pub fn object(&mut self, field: &str) -> Option<Value> {
        match self.body.get(field)? {
            Value::Null => None,
            v @ Value::Object(_) => Some(v.clone()),
            _ => {
                self.fail(field, "Not a valid mapping type.");
                None
            }
        }
    }

    /// Done reading: "Data error" with every problem found, if any.
    pub fn finish(self) -> Result<(), Refusal> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(data_error(json!(self.errors)))
        }
    }
}

/// An integer from a number or a string of digits.
pub fn integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// IRIS's refusal of a body: HTTP 400, "Data error", the problems by field.
pub fn data_error(fields: Value) -> Refusal {
    let mut details = Map::new();
    details.insert("data".into(), fields);
    Refusal::bad("Data error").with_details(details)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(body: Value) -> Params {
        Params {
            body,
            ..Default::default()
        }
    }

    #[test]
    fn every_problem_is_named_by_field() {
        let p = params(json!({"case_name": "x", "case_customer": "two", "case_desciption": "typo", "cid": 1}));
        let mut f = Form::new(&p, &["case_name", "case_description", "case_customer"]).unwrap();
        assert_eq!(f.required_text("case_name", 2), None);
        assert_eq!(f.required_text("case_description", 2), None);
        assert_eq!(f.required_int("case_customer"), None);
        let e = f.finish().unwrap_err();
        assert_eq!(e.message, "Data error");
        assert_eq!(
            e.details["data"],
            json!({
                "case_name": ["Shorter than minimum length 2."],
                "case_description": [MISSING],
                "case_customer": ["Not a valid integer."],
                "case_desciption": ["Unknown field."],
            })
        );
    }

    #[test]
    fn values_read_as_marshmallow_reads_them() {
        let p = params(json!({"a": "12", "b": "y", "c": [1, "2"], "d": null, "e": 0, "o": {"k": 1}}));
        let mut f = Form::new(&p, &["a", "b", "c", "d", "e", "o"]).unwrap();
        assert_eq!(f.int("a"), Some(12));
        assert_eq!(f.bool("b"), Some(true));
        assert_eq!(f.bool("e"), Some(false));
        assert_eq!(f.ints("c"), Some(vec![1, 2]));
        assert_eq!(f.text("d", 1), None);
        assert_eq!(f.object("o"), Some(json!({"k": 1})));
        assert!(f.finish().is_ok());
        let p = params(json!(["not", "an", "object"]));
        let e = Form::new(&p, &[]).err().unwrap();
        assert_eq!(e.details["data"], json!({"_schema": ["Invalid input type."]}));
    }
}
