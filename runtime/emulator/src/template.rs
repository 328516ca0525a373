//! ARM template evaluation for `Microsoft.Resources/deployments`: parameters, variables,
//! template expressions in strings, `dependsOn` ordering and outputs. Pure (no store): the
//! caller supplies the deployment's context and a lookup for `reference()`.
//!
//! Sources:
//! - Template structure (`$schema`, `contentVersion`, `parameters` with `type` and
//!   `defaultValue`, `variables`, `resources[]` with `type`, `name`, `apiVersion`,
//!   `location`, `dependsOn`, `outputs` with `type` and `value`):
//!   https://learn.microsoft.com/en-us/azure/azure-resource-manager/templates/syntax
//! - Expressions: a string whose first character is `[` and last `]` is an expression;
//!   `[[` starts a literal string that begins with `[`; string literals in single quotes with
//!   `''` for a quote; property access `.name` and index `[n]`
//!   (https://learn.microsoft.com/en-us/azure/azure-resource-manager/templates/template-expressions).
//! - Functions served: `parameters`, `variables`, `concat`, `resourceId`, `resourceGroup`,
//!   `subscription`, `reference`, `toLower`, `toUpper`, `string`, `format`
//!   (https://learn.microsoft.com/en-us/azure/azure-resource-manager/templates/template-functions);
//!   any other function is refused with ARM's `InvalidTemplate` ("The template function
//!   '{name}' is not valid"), so a template never deploys half-understood.
//! - Child resource names (`vnet/subnet`) and `dependsOn` entries given as a name, a
//!   `type/name` or a full resource ID, as ARM accepts them (template syntax page,
//!   "dependsOn").

use serde_json::{Map, Value, json};

/// What a template's expressions can see.
pub struct Context<'a> {
    /// Subscription ID as cased in the request.
    pub subscription: &'a str,
    /// Resource group name as cased in the request.
    pub resource_group: &'a str,
    /// The group's location (normalised).
    pub location: &'a str,
    /// Tenant ID of the subscription.
    pub tenant: &'a str,
    /// `reference(id)`: the resource's GET body, if it exists.
    pub lookup: &'a dyn Fn(&str) -> Option<Value>,
}

/// A template error: ARM's `InvalidTemplate` with this message.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError(pub String);

type R<T> = Result<T, TemplateError>;

fn err<T>(msg: impl Into<String>) -> R<T> {
    Err(TemplateError(msg.into()))
}

/// One resource of the template, evaluated: what a PUT of it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// Full ARM ID (cased as written).
    pub id: String,
    /// `Microsoft.Network/loadBalancers` (cased as written).
    pub type_name: String,
    pub api_version: String,
    /// PUT body: the resource object without `type`, `name`, `apiVersion`, `dependsOn`,
    /// `condition`, `comments`.
    pub body: Value,
    /// IDs of the template's resources this one `dependsOn` (all earlier in the order).
    pub depends_on: Vec<String>,
}

/// Evaluated template: resources in an order where every `dependsOn` comes first.
pub struct Evaluated {
    pub resources: Vec<Planned>,
    /// Parameter values (after defaults), for outputs.
    pub parameters: Map<String, Value>,
    pub variables: Map<String, Value>,
}

/// Evaluates `template` with the deployment's `parameters` (`{"name": {"value": v}}`).
pub fn evaluate(template: &Value, parameters: &Value, ctx: &Context<'_>) -> R<Evaluated> {
    let Some(t) = template.as_object() else {
        return err("The template must be a JSON object.");
    };
    // Parameters: supplied value, else defaultValue (which may be an expression).
    let mut params = Map::new();
    let declared = t
        .get("parameters")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let supplied = parameters.as_object().cloned().unwrap_or_default();
    for k in supplied.keys() {
        if !declared.contains_key(k) {
            return err(format!(
                "The template parameters '{k}' in the parameters file are not valid; they are not present in the original template and can therefore not be provided at deployment time."
            ));
        }
    }
    for (name, decl) in &declared {
        let v = match supplied.get(name) {
            Some(s) => s.get("value").cloned().unwrap_or(Value::Null),
            None => match decl.get("defaultValue") {
                Some(d) => {
                    let scope = Scope {
                        params: &params,
                        vars: &Map::new(),
                        ctx,
                    };
                    eval_value(d, &scope)?
                }
                None => {
                    return err(format!(
                        "Deployment template validation failed: 'The value for the template parameter '{name}' is not provided.'"
                    ));
                }
            },
        };
        params.insert(name.clone(), v);
    }
    // Variables, in order (a variable may use earlier ones).
    let mut vars = Map::new();
    if let Some(vs) = t.get("variables").and_then(Value::as_object) {
        for (name, v) in vs {
            let scope = Scope {
                params: &params,
                vars: &vars,
                ctx,
            };
            let value = eval_value(v, &scope)?;
            vars.insert(name.clone(), value);
        }
    }
    let scope = Scope {
        params: &params,
        vars: &vars,
        ctx,
    };
    let mut planned: Vec<(Planned, Vec<String>)> = Vec::new();
    let resources = match t.get("resources") {
        None => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return err("The template 'resources' must be an array."),
    };
    for r in resources {
        if r.get("condition").is_some_and(|c| {
            eval_value(c, &scope)
                .map(|v| v == json!(false))
                .unwrap_or(false)
        }) {
            continue;
        }
        if r.get("copy").is_some() {
            return err(
                "The template resource property 'copy' is not served by the emulator's template engine.",
            );
        }
        let field = |k: &str| -> R<String> {
            match r.get(k) {
                Some(v) => match eval_value(v, &scope)? {
                    Value::String(s) => Ok(s),
                    other => err(format!(
                        "The template resource property '{k}' must be a string, not {other}."
                    )),
                },
                None => err(format!(
                    "The template resource is missing the required property '{k}'."
                )),
            }
        };
        let type_name = field("type")?;
        let name = field("name")?;
        let api_version = field("apiVersion")?;
        let id = resource_id(ctx.subscription, ctx.resource_group, &type_name, &name)?;
        let mut body = Map::new();
        if let Some(o) = r.as_object() {
            for (k, v) in o {
                if matches!(
                    k.as_str(),
                    "type"
                        | "name"
                        | "apiVersion"
                        | "dependsOn"
                        | "condition"
                        | "comments"
                        | "resources"
                ) {
                    continue;
                }
                let v = eval_value(v, &scope)?;
                if !v.is_null() {
                    body.insert(k.clone(), v);
                }
            }
        }
        let mut deps = Vec::new();
        if let Some(d) = r.get("dependsOn").and_then(Value::as_array) {
            for x in d {
                match eval_value(x, &scope)? {
                    Value::String(s) => deps.push(s),
                    other => {
                        return err(format!("A dependsOn entry must be a string, not {other}."));
                    }
                }
            }
        }
        planned.push((
            Planned {
                id,
                type_name,
                api_version,
                body: Value::Object(body),
                depends_on: Vec::new(),
            },
            deps,
        ));
    }
    // Order by dependsOn (stable: template order where free).
    let mut done: Vec<Planned> = Vec::new();
    let mut left = planned;
    while !left.is_empty() {
        let pos = left.iter().position(|(_, deps)| {
            deps.iter().all(|d| {
                let target = left.iter().position(|(p, _)| depends_matches(d, p));
                target.is_none()
            })
        });
        let Some(i) = pos else {
            return err(
                "Deployment template validation failed: 'Circular dependency detected on resources.'",
            );
        };
        let (mut p, deps) = left.remove(i);
        for d in &deps {
            match done.iter().find(|q| depends_matches(d, q)) {
                Some(q) => p.depends_on.push(q.id.clone()),
                None => {
                    return err(format!(
                        "Deployment template validation failed: 'The resource '{d}' is not defined in the template.'"
                    ));
                }
            }
        }
        done.push(p);
    }
    Ok(Evaluated {
        resources: done,
        parameters: params,
        variables: vars,
    })
}

/// Evaluates the template's `outputs` (`{name: {type, value}}` → `{name: {type, value}}`).
pub fn outputs(template: &Value, ev: &Evaluated, ctx: &Context<'_>) -> R<Value> {
    let scope = Scope {
        params: &ev.parameters,
        vars: &ev.variables,
        ctx,
    };
    let mut out = Map::new();
    if let Some(o) = template.get("outputs").and_then(Value::as_object) {
        for (name, decl) in o {
            let ty = decl.get("type").and_then(Value::as_str).unwrap_or("string");
            let value = match decl.get("value") {
                Some(v) => eval_value(v, &scope)?,
                None => Value::Null,
            };
            out.insert(
                name.clone(),
                json!({"type": capitalize(ty), "value": value}),
            );
        }
    }
    Ok(Value::Object(out))
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Whether a `dependsOn` entry (a name, `type/name`, or resource ID) names `p`.
fn depends_matches(dep: &str, p: &Planned) -> bool {
    let d = dep.trim_end_matches('/').to_ascii_lowercase();
    let id = p.id.to_ascii_lowercase();
    if d.starts_with("/subscriptions/") {
        return d == id;
    }
    let name = id.rsplit("/providers/").next().unwrap_or("");
    // `Microsoft.Network/loadBalancers/ilb` form, or the bare last name.
    let type_name = name.to_string();
    let compact = compact_type_name(&p.type_name, &p.id).to_ascii_lowercase();
    d == type_name
        || d == compact
        || (!d.contains('/') && id.rsplit('/').next() == Some(d.as_str()))
}

/// `Microsoft.Network/virtualNetworks/subnets` + ID → `Microsoft.Network/virtualNetworks/subnets/vnet/subnet`.
fn compact_type_name(type_name: &str, id: &str) -> String {
    let names: Vec<&str> = id
        .rsplit("/providers/")
        .next()
        .unwrap_or("")
        .split('/')
        .skip(2)
        .step_by(2)
        .collect();
    format!("{type_name}/{}", names.join("/"))
}

/// `resourceId` for a type and a (possibly `parent/child`) name in a group.
fn resource_id(sub: &str, rg: &str, type_name: &str, name: &str) -> R<String> {
    let segs: Vec<&str> = type_name.split('/').collect();
    let names: Vec<&str> = name.split('/').collect();
    if segs.len() < 2 || names.len() != segs.len() - 1 || names.iter().any(|n| n.is_empty()) {
        return err(format!(
            "The template resource '{name}' for type '{type_name}' has an incorrect segment length. A nested resource type must have identical number of segments as its resource name."
        ));
    }
    let mut id = format!(
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/{}",
        segs[0]
    );
    for (t, n) in segs[1..].iter().zip(&names) {
        id.push('/');
        id.push_str(t);
        id.push('/');
        id.push_str(n);
    }
    Ok(id)
}

struct Scope<'a> {
    params: &'a Map<String, Value>,
    vars: &'a Map<String, Value>,
    ctx: &'a Context<'a>,
}

/// Evaluates every expression string inside `v`.
fn eval_value(v: &Value, scope: &Scope<'_>) -> R<Value> {
    Ok(match v {
        Value::String(s) => eval_string(s, scope)?,
        Value::Array(a) => Value::Array(a.iter().map(|x| eval_value(x, scope)).collect::<R<_>>()?),
        Value::Object(o) => {
            let mut m = Map::new();
            for (k, x) in o {
                m.insert(k.clone(), eval_value(x, scope)?);
            }
            Value::Object(m)
        }
        other => other.clone(),
    })
}

fn eval_string(s: &str, scope: &Scope<'_>) -> R<Value> {
    if let Some(rest) = s.strip_prefix("[[") {
        return Ok(Value::String(format!("[{rest}")));
    }
    let Some(inner) = s.strip_prefix('[').and_then(|x| x.strip_suffix(']')) else {
        return Ok(Value::String(s.to_string()));
    };
    let mut p = Parser {
        s: inner.as_bytes(),
        i: 0,
        scope,
    };
    let v = p.expr()?;
    p.ws();
    if p.i != p.s.len() {
        return err(format!(
            "The template language expression '{inner}' is not valid: unexpected text at position {}.",
            p.i
        ));
    }
    Ok(v)
}

struct Parser<'a, 'b> {
    s: &'a [u8],
    i: usize,
    scope: &'a Scope<'b>,
}

impl Parser<'_, '_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn expect(&mut self, c: u8) -> R<()> {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            err(format!(
                "The template language expression is not valid: expected '{}' at position {}.",
                c as char, self.i
            ))
        }
    }
    fn expr(&mut self) -> R<Value> {
        self.ws();
        let mut v = match self.peek() {
            Some(b'\'') => self.string()?,
            Some(c) if c.is_ascii_digit() || c == b'-' => self.number()?,
            Some(c) if c.is_ascii_alphabetic() => {
                let name = self.ident();
                self.ws();
                match name.to_ascii_lowercase().as_str() {
                    "true" if self.peek() != Some(b'(') => json!(true),
                    "false" if self.peek() != Some(b'(') => json!(false),
                    "null" if self.peek() != Some(b'(') => Value::Null,
                    _ => {
                        self.expect(b'(')?;
                        let mut args = Vec::new();
                        self.ws();
                        if self.peek() == Some(b')') {
                            self.i += 1;
                        } else {
                            loop {
                                args.push(self.expr()?);
                                self.ws();
                                match self.peek() {
                                    Some(b',') => self.i += 1,
                                    Some(b')') => {
                                        self.i += 1;
                                        break;
                                    }
                                    _ => {
                                        return err(format!(
                                            "The template language expression is not valid: expected ',' or ')' at position {}.",
                                            self.i
                                        ));
                                    }
                                }
                            }
                        }
                        call(&name, &args, self.scope)?
                    }
                }
            }
            _ => {
                return err(format!(
                    "The template language expression is not valid at position {}.",
                    self.i
                ));
            }
        };
        // Accessors.
        loop {
            self.ws();
            match self.peek() {
                Some(b'.') => {
                    self.i += 1;
                    let key = self.ident();
                    v = v
                        .as_object()
                        .and_then(|o| {
                            o.iter()
                                .find(|(k, _)| k.eq_ignore_ascii_case(&key))
                                .map(|x| x.1.clone())
                        })
                        .ok_or_else(|| {
                            TemplateError(format!(
                                "The language expression property '{key}' doesn't exist."
                            ))
                        })?;
                }
                Some(b'[') => {
                    self.i += 1;
                    let idx = self.expr()?;
                    self.expect(b']')?;
                    v = match (&v, &idx) {
                        (Value::Array(a), Value::Number(n)) => n
                            .as_u64()
                            .and_then(|n| a.get(n as usize).cloned())
                            .ok_or_else(|| {
                                TemplateError(format!(
                                    "The language expression index '{n}' is out of bounds."
                                ))
                            })?,
                        (Value::Object(o), Value::String(k)) => o
                            .iter()
                            .find(|(x, _)| x.eq_ignore_ascii_case(k))
                            .map(|x| x.1.clone())
                            .ok_or_else(|| {
                                TemplateError(format!(
                                    "The language expression property '{k}' doesn't exist."
                                ))
                            })?,
                        _ => {
                            return err(
                                "The language expression index is not valid for this value.",
                            );
                        }
                    };
                }
                _ => break,
            }
        }
        Ok(v)
    }
    fn ident(&mut self) -> String {
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }
    fn string(&mut self) -> R<Value> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return err("The template language expression has an unterminated string."),
                Some(b'\'') if self.s.get(self.i + 1) == Some(&b'\'') => {
                    out.push(b'\'');
                    self.i += 2;
                }
                Some(b'\'') => {
                    self.i += 1;
                    break;
                }
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
        Ok(Value::String(String::from_utf8_lossy(&out).into_owned()))
    }
    fn number(&mut self) -> R<Value> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        let t = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        t.parse::<i64>().map(|n| json!(n)).map_err(|_| {
            TemplateError(format!(
                "The template language expression has an invalid number '{t}'."
            ))
        })
    }
}

fn as_str<'v>(v: &'v Value, f: &str) -> R<&'v str> {
    v.as_str().ok_or_else(|| {
        TemplateError(format!(
            "The template function '{f}' expects string arguments, got {v}."
        ))
    })
}

fn to_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn call(name: &str, args: &[Value], scope: &Scope<'_>) -> R<Value> {
    let ctx = scope.ctx;
    let one = |f: &str| -> R<&Value> {
        args.first().ok_or_else(|| {
            TemplateError(format!(
                "The template function '{f}' expects at least one argument."
            ))
        })
    };
    match name.to_ascii_lowercase().as_str() {
        "parameters" => {
            let n = as_str(one("parameters")?, "parameters")?;
            scope
                .params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|x| x.1.clone())
                .ok_or_else(|| TemplateError(format!("The template parameter '{n}' is not found.")))
        }
        "variables" => {
            let n = as_str(one("variables")?, "variables")?;
            scope
                .vars
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|x| x.1.clone())
                .ok_or_else(|| TemplateError(format!("The template variable '{n}' is not found.")))
        }
        "concat" => {
            if args.iter().all(Value::is_array) && !args.is_empty() {
                let mut out = Vec::new();
                for a in args {
                    out.extend(a.as_array().cloned().unwrap_or_default());
                }
                return Ok(Value::Array(out));
            }
            Ok(Value::String(args.iter().map(to_text).collect()))
        }
        "tolower" => Ok(json!(as_str(one("toLower")?, "toLower")?.to_lowercase())),
        "toupper" => Ok(json!(as_str(one("toUpper")?, "toUpper")?.to_uppercase())),
        "string" => Ok(json!(to_text(one("string")?))),
        "format" => {
            let f = as_str(one("format")?, "format")?;
            let mut out = f.to_string();
            for (i, a) in args[1..].iter().enumerate() {
                out = out.replace(&format!("{{{i}}}"), &to_text(a));
            }
            Ok(json!(out))
        }
        "resourcegroup" => Ok(json!({
            "id": format!("/subscriptions/{}/resourceGroups/{}", ctx.subscription, ctx.resource_group),
            "name": ctx.resource_group,
            "type": "Microsoft.Resources/resourceGroups",
            "location": ctx.location,
            "properties": {"provisioningState": "Succeeded"},
        })),
        "subscription" => Ok(json!({
            "id": format!("/subscriptions/{}", ctx.subscription),
            "subscriptionId": ctx.subscription,
            "tenantId": ctx.tenant,
            "displayName": format!("capz local {}", ctx.subscription),
        })),
        "resourceid" => {
            let strs: Vec<&str> = args
                .iter()
                .map(|a| as_str(a, "resourceId"))
                .collect::<R<_>>()?;
            // Optional subscription and group before the type (the first arg with a '/').
            let t = strs.iter().position(|s| s.contains('/')).ok_or_else(|| {
                TemplateError(
                    "The template function 'resourceId' needs a resource type 'Namespace/type'."
                        .into(),
                )
            })?;
            let (sub, rg) = match t {
                0 => (ctx.subscription, ctx.resource_group),
                1 => (ctx.subscription, strs[0]),
                2 => (strs[0], strs[1]),
                _ => {
                    return err(
                        "The template function 'resourceId' has too many arguments before the resource type.",
                    );
                }
            };
            resource_id(sub, rg, strs[t], &strs[t + 1..].join("/")).map(Value::String)
        }
        "reference" => {
            let target = as_str(one("reference")?, "reference")?;
            let full = args
                .get(2)
                .and_then(Value::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case("full"));
            let id = if target.starts_with("/subscriptions/") {
                target.to_string()
            } else {
                // A bare name: the resource of that name deployed by this template is what
                // ARM resolves; the caller's lookup accepts a name too.
                target.to_string()
            };
            let body = (ctx.lookup)(&id).ok_or_else(|| {
                TemplateError(format!(
                    "The Resource '{target}' is not defined in the template."
                ))
            })?;
            Ok(if full {
                body
            } else {
                body.get("properties").cloned().unwrap_or_else(|| json!({}))
            })
        }
        _ => err(format!(
            "The template function '{name}' is not valid. Please see https://aka.ms/arm-functions for usage details. (The emulator serves parameters, variables, concat, resourceId, resourceGroup, subscription, reference, toLower, toUpper, string and format.)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(lookup: &'a dyn Fn(&str) -> Option<Value>) -> Context<'a> {
        Context {
            subscription: "s",
            resource_group: "g",
            location: "eastus",
            tenant: "t",
            lookup,
        }
    }

    #[test]
    fn evaluates_what_az_network_lb_create_sends() {
        let template = json!({
            "$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "parameters": {}, "variables": {},
            "resources": [{
                "type": "Microsoft.Network/loadBalancers", "name": "ilb", "location": "eastus",
                "tags": {}, "apiVersion": "2023-04-01", "dependsOn": [],
                "properties": {"backendAddressPools": [{"name": "be"}]},
                "sku": {"name": "Standard"}
            }],
            "outputs": {"loadBalancer": {"type": "object", "value": "[reference('ilb')]"}}
        });
        let look = |id: &str| {
            (id == "ilb").then(|| json!({"properties": {"provisioningState": "Succeeded"}}))
        };
        let c = ctx(&look);
        let ev = evaluate(&template, &json!({}), &c).unwrap();
        assert_eq!(ev.resources.len(), 1);
        assert_eq!(
            ev.resources[0].id,
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/loadBalancers/ilb"
        );
        assert_eq!(ev.resources[0].api_version, "2023-04-01");
        assert!(ev.resources[0].body.get("dependsOn").is_none());
        let out = outputs(&template, &ev, &c).unwrap();
        assert_eq!(out["loadBalancer"]["type"], "Object");
        assert_eq!(
            out["loadBalancer"]["value"]["provisioningState"],
            "Succeeded"
        );
    }

    #[test]
    fn parameters_variables_functions_and_order() {
        let template = json!({
            "parameters": {"prefix": {"type": "string", "defaultValue": "[concat('10.', '0')]"}},
            "variables": {"cidr": "[concat(parameters('prefix'), '.0.0/16')]", "lit": "[[not an expression]"},
            "resources": [
                {"type": "Microsoft.Network/virtualNetworks/subnets", "name": "v/s", "apiVersion": "x",
                 "dependsOn": ["[resourceId('Microsoft.Network/virtualNetworks', 'v')]"],
                 "properties": {"addressPrefix": "[variables('cidr')]", "note": "[variables('lit')]"}},
                {"type": "Microsoft.Network/virtualNetworks", "name": "v", "apiVersion": "x",
                 "location": "[resourceGroup().location]"}
            ]
        });
        let look = |_: &str| None;
        let ev = evaluate(&template, &json!({}), &ctx(&look)).unwrap();
        assert_eq!(
            ev.resources[0].type_name,
            "Microsoft.Network/virtualNetworks"
        );
        assert_eq!(ev.resources[0].body["location"], "eastus");
        assert_eq!(
            ev.resources[1].id,
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
        );
        assert_eq!(
            ev.resources[1].body["properties"]["addressPrefix"],
            "10.0.0.0/16"
        );
        assert_eq!(
            ev.resources[1].body["properties"]["note"],
            "[not an expression]"
        );
        let ev = evaluate(
            &template,
            &json!({"prefix": {"value": "172.16"}}),
            &ctx(&look),
        )
        .unwrap();
        assert_eq!(
            ev.resources[1].body["properties"]["addressPrefix"],
            "172.16.0.0/16"
        );
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        let look = |_: &str| None;
        let t = |r: Value| json!({"resources": [r]});
        let bad_fn = t(
            json!({"type": "A/b", "name": "n", "apiVersion": "x", "location": "[uniqueString('a')]"}),
        );
        let e = evaluate(&bad_fn, &json!({}), &ctx(&look)).err().unwrap();
        assert!(e.0.contains("'uniqueString' is not valid"), "{}", e.0);
        let missing_dep =
            t(json!({"type": "A/b", "name": "n", "apiVersion": "x", "dependsOn": ["other"]}));
        assert!(evaluate(&missing_dep, &json!({}), &ctx(&look)).is_err());
        let bad_segments = t(json!({"type": "A/b/c", "name": "n", "apiVersion": "x"}));
        assert!(evaluate(&bad_segments, &json!({}), &ctx(&look)).is_err());
        let unknown_param = json!({"resources": []});
        assert!(evaluate(&unknown_param, &json!({"p": {"value": 1}}), &ctx(&look)).is_err());
        assert!(
            eval_string(
                "[concat('a']",
                &Scope {
                    params: &Map::new(),
                    vars: &Map::new(),
                    ctx: &ctx(&look)
                }
            )
            .is_err()
        );
    }
}
