//! Request decoding: the POST JSON body or the GET query string into query, variables and
//! operation name, with the reference's error codes for each kind of bad input.

use async_graphql::Variables;
use serde_json::Value as Json;

use crate::pipeline::{Code, Input, Rejection};

fn bad(code: Code, message: &str) -> Rejection {
    Rejection::new(code, message, None)
}

fn invalid_body() -> Rejection {
    bad(Code::InvalidJsonBody, "The request JSON body is invalid")
}

fn no_query() -> Rejection {
    bad(
        Code::NoQuerySupplied,
        "The query was not supplied in the request body",
    )
}

fn invalid_variables() -> Rejection {
    bad(Code::VariablesInvalidJson, "The variables' JSON is invalid")
}

/// `variables` may be an object, a string holding one, or null (meaning none).
fn variables(v: Option<Json>) -> Result<Variables, Rejection> {
    match v {
        None | Some(Json::Null) => Ok(Variables::default()),
        Some(Json::Object(o)) => Ok(Variables::from_json(Json::Object(o))),
        Some(Json::String(s)) => match serde_json::from_str::<Json>(&s) {
            Ok(Json::Null) => Ok(Variables::default()),
            Ok(Json::Object(o)) => Ok(Variables::from_json(Json::Object(o))),
            _ => Err(invalid_variables()),
        },
        Some(_) => Err(invalid_variables()),
    }
}

/// `operationName`: null and `""` mean absent.
fn operation_name(v: Option<Json>) -> Option<String> {
    match v {
        Some(Json::String(s)) if !s.is_empty() => Some(s),
        _ => None,
    }
}

pub fn json_body(body: &[u8]) -> Result<Input, Rejection> {
    let Ok(Json::Object(mut o)) = serde_json::from_slice::<Json>(body) else {
        return Err(invalid_body());
    };
    let query = match o.remove("query") {
        Some(Json::String(q)) => q,
        _ => return Err(no_query()),
    };
    Ok(Input {
        query,
        variables: variables(o.remove("variables"))?,
        operation_name: operation_name(o.remove("operationName")),
    })
}

pub fn query_string(qs: &str) -> Result<Input, Rejection> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(qs)
        .map_err(|_| bad(Code::InvalidQueryParameters, "The query string is invalid"))?;
    if pairs.iter().any(|(k, _)| k.is_empty()) {
        return Err(bad(
            Code::InvalidQueryParameters,
            "The query string is invalid",
        ));
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let query = get("query").ok_or_else(no_query)?;
    Ok(Input {
        query,
        variables: variables(get("variables").map(Json::String))?,
        operation_name: operation_name(get("operationName").map(Json::String)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<Input, Rejection>) -> String {
        match r {
            Ok(_) => "ok".into(),
            Err(r) => r.code().to_string(),
        }
    }

    #[test]
    fn decodes_bodies() {
        assert_eq!(code(json_body(b"{\"query\":\"{a}\"}")), "ok");
        assert_eq!(code(json_body(b"")), "invalid_json_body");
        assert_eq!(code(json_body(b"[]")), "invalid_json_body");
        assert_eq!(code(json_body(b"{}")), "no_query_supplied");
        assert_eq!(code(json_body(b"{\"query\":1}")), "no_query_supplied");
        assert_eq!(
            code(json_body(b"{\"query\":\"q\",\"variables\":\"[1]\"}")),
            "variables_invalid_json"
        );
        assert_eq!(
            code(json_body(b"{\"query\":\"q\",\"variables\":[1]}")),
            "variables_invalid_json"
        );
        assert_eq!(
            code(json_body(
                b"{\"query\":\"q\",\"variables\":\"{\\\"a\\\":1}\"}"
            )),
            "ok"
        );
        let i = json_body(b"{\"query\":\"q\",\"operationName\":\"\"}").unwrap();
        assert_eq!(i.operation_name, None);
    }

    #[test]
    fn decodes_query_strings() {
        assert_eq!(code(query_string("query=%7Ba%7D")), "ok");
        assert_eq!(code(query_string("=invalid")), "invalid_query_parameters");
        assert_eq!(code(query_string("")), "no_query_supplied");
    }
}
