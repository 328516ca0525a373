//! Small helpers: ARM errors, clock, ids, JSON access.

use serde_json::{Map, Value, json};

/// An ARM error answer: HTTP status + `{"error":{"code","message","target"?,"details"?}}`.
#[derive(Debug, Clone)]
pub struct ArmError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub target: Option<String>,
    /// Extra response headers (e.g. `Retry-After` on 429).
    pub retry_after: Option<u64>,
}

impl ArmError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ArmError {
            status,
            code: code.to_string(),
            message: message.into(),
            target: None,
            retry_after: None,
        }
    }
    pub fn bad(code: &str, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }
    pub fn body(&self) -> Value {
        let mut e = Map::new();
        e.insert("code".into(), json!(self.code));
        e.insert("message".into(), json!(self.message));
        if let Some(t) = &self.target {
            e.insert("target".into(), json!(t));
        }
        json!({ "error": Value::Object(e) })
    }
    /// The error object alone (for operation status bodies).
    pub fn object(&self) -> Value {
        self.body().get("error").cloned().unwrap_or(Value::Null)
    }
}

impl From<rusqlite::Error> for ArmError {
    fn from(e: rusqlite::Error) -> Self {
        let busy = matches!(
            &e,
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DatabaseBusy
                || f.code == rusqlite::ErrorCode::DatabaseLocked
        );
        if busy {
            let mut err = ArmError::new(
                503,
                "ServiceUnavailable",
                "The emulator state is busy; retry.",
            );
            err.retry_after = Some(1);
            err
        } else {
            ArmError::new(
                500,
                "InternalServerError",
                format!("emulator state error: {e}"),
            )
        }
    }
}

pub type ArmResult<T> = Result<T, ArmError>;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    d.as_millis() as i64
}

/// RFC 3339 UTC timestamp of `ms`.
pub fn rfc3339(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Network-style weak etag `W/"uuid"`.
pub fn weak_etag() -> String {
    format!("W/\"{}\"", uuid())
}

/// FNV-1a 64-bit hash (deterministic server-assigned names such as the AKS fqdn suffix).
pub fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// A deterministic GUID-shaped string derived from `seed`.
pub fn guid_from(seed: &str) -> String {
    let a = fnv(seed);
    let b = fnv(&format!("{seed}#2"));
    let hex = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// ARM location normalisation: lower case, spaces removed (`East US` → `eastus`).
pub fn normalize_location(l: &str) -> String {
    l.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(|c| c.to_lowercase())
        .collect()
}

/// Percent-decodes a path segment (invalid escapes are kept verbatim).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Query parameters (`a=b&c=d`), percent-decoded, keys lower-cased.
pub fn parse_query(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                percent_decode(k).to_ascii_lowercase(),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

/// `obj[path...]` for a dotted path of object keys.
pub fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    Some(cur)
}

/// Mutable object at `path`, created (as `{}`) where missing or not an object.
pub fn obj_mut<'a>(v: &'a mut Value, path: &[&str]) -> &'a mut Map<String, Value> {
    let mut cur = v;
    for p in path {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(m) = cur else {
            unreachable!("just made an object")
        };
        cur = m
            .entry(p.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !cur.is_object() {
        *cur = Value::Object(Map::new());
    }
    match cur {
        Value::Object(m) => m,
        _ => unreachable!("just made an object"),
    }
}

/// Sets `key` in `m` to `v` when missing or null.
pub fn default(m: &mut Map<String, Value>, key: &str, v: Value) {
    if m.get(key).is_none_or(Value::is_null) {
        m.insert(key.to_string(), v);
    }
}

/// JSON type name for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Schema-ish checks on request bodies, all answering 400 `InvalidRequestContent` with a
/// message naming the field (as ARM's request deserialisation does).
pub struct Check;

impl Check {
    fn wrong(field: &str, want: &str, got: &Value) -> ArmError {
        ArmError::bad(
            "InvalidRequestContent",
            format!(
                "The request content was invalid and could not be deserialized: 'Error converting value of type {} to {want}. Path '{field}'.'",
                type_name(got)
            ),
        )
        .with_target(field)
    }
    pub fn opt_str<'a>(v: &'a Value, path: &[&str]) -> ArmResult<Option<&'a str>> {
        match at(v, path) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(Self::wrong(&path.join("."), "string", other)),
        }
    }
    pub fn opt_bool(v: &Value, path: &[&str]) -> ArmResult<Option<bool>> {
        match at(v, path) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(Self::wrong(&path.join("."), "boolean", other)),
        }
    }
    pub fn opt_int(v: &Value, path: &[&str]) -> ArmResult<Option<i64>> {
        match at(v, path) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
            Some(other) => Err(Self::wrong(&path.join("."), "integer", other)),
        }
    }
    pub fn opt_obj<'a>(v: &'a Value, path: &[&str]) -> ArmResult<Option<&'a Map<String, Value>>> {
        match at(v, path) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(other) => Err(Self::wrong(&path.join("."), "object", other)),
        }
    }
    pub fn opt_arr<'a>(v: &'a Value, path: &[&str]) -> ArmResult<Option<&'a Vec<Value>>> {
        match at(v, path) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(other) => Err(Self::wrong(&path.join("."), "array", other)),
        }
    }
    /// Optional array of strings.
    pub fn opt_strs(v: &Value, path: &[&str]) -> ArmResult<Option<Vec<String>>> {
        let Some(a) = Self::opt_arr(v, path)? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for (i, x) in a.iter().enumerate() {
            match x {
                Value::String(s) => out.push(s.clone()),
                other => {
                    return Err(Self::wrong(
                        &format!("{}[{i}]", path.join(".")),
                        "string",
                        other,
                    ));
                }
            }
        }
        Ok(Some(out))
    }
    /// Optional enum value (case-insensitive as ARM's deserialiser; returns the canonical
    /// spelling). Bad value → 400 `InvalidParameter` naming the field and the allowed values.
    pub fn opt_enum(v: &Value, path: &[&str], allowed: &[&str]) -> ArmResult<Option<String>> {
        let Some(s) = Self::opt_str(v, path)? else {
            return Ok(None);
        };
        match allowed.iter().find(|a| a.eq_ignore_ascii_case(s)) {
            Some(a) => Ok(Some(a.to_string())),
            None => Err(ArmError::bad(
                "InvalidParameter",
                format!(
                    "The value '{s}' of parameter '{}' is invalid. Allowed values: {}.",
                    path.join("."),
                    allowed.join(", ")
                ),
            )
            .with_target(path.join("."))),
        }
    }
    /// `tags`: an object of string values.
    pub fn tags(v: &Value) -> ArmResult<Option<Map<String, Value>>> {
        let Some(m) = Self::opt_obj(v, &["tags"])? else {
            return Ok(None);
        };
        for (k, val) in m {
            if !val.is_string() {
                return Err(Self::wrong(&format!("tags.{k}"), "string", val));
            }
        }
        Ok(Some(m.clone()))
    }
}
