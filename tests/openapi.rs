//! `GET /api/v1/openapi.json` against the routes Rocket really mounts: every `/api/v1` route
//! (method, path and query parameters) is described, and the document names no route that is
//! not mounted — so an API route added without a description fails here. The document is also
//! checked for being well-formed OpenAPI 3.1: its fields, unique operation ids, a success answer
//! for each operation, security schemes that exist, and every `$ref` resolving.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{TestApp, TestDb};
use rocket::http::{ContentType, Status};
use serde_json::Value;

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

fn fetch_document(app: &TestApp) -> Value {
    let res = app.client.get("/api/v1/openapi.json").dispatch();
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.content_type(), Some(ContentType::JSON));
    let body = res.into_string().expect("a body");
    serde_json::from_str(&body).expect("the document parses as JSON")
}

/// `{id}` → `<id>`, as Rocket writes a dynamic segment.
fn rocket_path(openapi_path: &str) -> String {
    openapi_path.replace('{', "<").replace('}', ">")
}

/// The dynamic query parameters of a Rocket route (`<a>&<b>` → {a, b}).
fn rocket_query(query: Option<&str>) -> BTreeSet<String> {
    query
        .unwrap_or("")
        .split('&')
        .filter_map(|s| s.strip_prefix('<').and_then(|s| s.strip_suffix('>')))
        .map(|s| s.trim_end_matches("..").to_string())
        .collect()
}

#[test]
fn every_api_route_is_described_and_the_document_names_no_other() {
    let app = TestApp::new(TestDb::sqlite());
    let doc = fetch_document(&app);

    // (METHOD path) → query parameter names, from Rocket.
    let mounted: BTreeMap<String, BTreeSet<String>> = app
        .client
        .rocket()
        .routes()
        .filter(|r| r.uri.path().to_string().starts_with("/api/v1/"))
        .map(|r| {
            (
                format!("{} {}", r.method.as_str(), r.uri.path()),
                rocket_query(r.uri.query().map(|q| q.to_string()).as_deref()),
            )
        })
        .collect();
    assert!(mounted.len() > 40, "{} API routes", mounted.len());
    assert!(mounted.values().filter(|q| !q.is_empty()).count() >= 8);

    // The same, from the document.
    let mut described: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut wrong_path_params = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            assert!(METHODS.contains(&method.as_str()), "{method} {path}");
            let params = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let names = |place: &str| -> BTreeSet<String> {
                params
                    .iter()
                    .filter(|p| p["in"] == place)
                    .map(|p| p["name"].as_str().expect("a name").to_string())
                    .collect()
            };
            let in_path: BTreeSet<String> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .map(str::to_string)
                .collect();
            if names("path") != in_path {
                wrong_path_params.push(format!("{method} {path}"));
            }
            described.insert(
                format!("{} {}", method.to_uppercase(), rocket_path(path)),
                names("query"),
            );
        }
    }
    assert!(
        wrong_path_params.is_empty(),
        "operations whose path parameters differ from their path: {wrong_path_params:?}"
    );

    let undocumented: Vec<&String> = mounted
        .keys()
        .filter(|k| !described.contains_key(*k))
        .collect();
    let not_mounted: Vec<&String> = described
        .keys()
        .filter(|k| !mounted.contains_key(*k))
        .collect();
    assert!(
        undocumented.is_empty(),
        "API routes missing from /api/v1/openapi.json (describe them in src/web/openapi.rs): {undocumented:#?}"
    );
    assert!(
        not_mounted.is_empty(),
        "operations in /api/v1/openapi.json that no route serves: {not_mounted:#?}"
    );
    let wrong_query: Vec<String> = mounted
        .iter()
        .filter(|(k, q)| described[*k] != **q)
        .map(|(k, q)| format!("{k}: mounted {q:?}, described {:?}", described[k]))
        .collect();
    assert!(
        wrong_query.is_empty(),
        "query parameters differ:\n{}",
        wrong_query.join("\n")
    );
}

/// Every `"$ref"` string in the document, with where it was found.
fn refs(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    if let Some(r) = v.as_str() {
                        out.push((at.to_string(), r.to_string()));
                    }
                } else {
                    refs(v, &format!("{at}/{k}"), out);
                }
            }
        }
        Value::Array(list) => {
            for (i, v) in list.iter().enumerate() {
                refs(v, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_document_is_well_formed_openapi_3_1() {
    let app = TestApp::new(TestDb::sqlite());
    let doc = fetch_document(&app);
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1.")),
        "{}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .expect("security schemes");
    for name in ["bearerToken", "sessionCookie", "csrfToken"] {
        assert!(schemes.contains_key(name), "{name}");
    }

    let mut ids = BTreeSet::new();
    let paths = doc["paths"].as_object().expect("paths");
    assert!(!paths.is_empty());
    for (path, item) in paths {
        assert!(path.starts_with("/api/v1/"), "{path}");
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().expect("an operationId");
            assert!(ids.insert(id.to_string()), "operationId {id} twice");
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path} has no success answer"
            );
            for (status, r) in responses {
                assert!(
                    status.len() == 3 && status.parse::<u16>().is_ok(),
                    "{method} {path}: {status}"
                );
                assert!(r["description"].is_string(), "{method} {path} {status}");
            }
            for requirement in op["security"].as_array().expect("security") {
                for name in requirement.as_object().unwrap().keys() {
                    assert!(schemes.contains_key(name), "{method} {path}: {name}");
                }
            }
            // A state-changing call with a session cookie needs the CSRF header.
            let public = op["security"].as_array().unwrap().is_empty();
            if method != "get" && !public {
                assert!(
                    op["security"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|r| r.get("sessionCookie").is_some())
                        .all(|r| r.get("csrfToken").is_some()),
                    "{method} {path}: a session without the CSRF token"
                );
            }
        }
    }

    let mut found = Vec::new();
    refs(&doc, "#", &mut found);
    assert!(found.len() > 50, "{} refs", found.len());
    let broken: Vec<String> = found
        .iter()
        .filter(|(_, r)| {
            !r.starts_with("#/") || doc.pointer(&r[1..]).is_none_or(|target| target.is_null())
        })
        .map(|(at, r)| format!("{at}: {r}"))
        .collect();
    assert!(broken.is_empty(), "$refs that do not resolve: {broken:#?}");
}

#[test]
fn schemas_come_from_the_body_types_and_errors_have_the_documented_shape() {
    let app = TestApp::new(TestDb::sqlite());
    let doc = fetch_document(&app);
    let schemas = &doc["components"]["schemas"];
    // A request body: the serde struct's fields, required unless optional.
    let required = |name: &str| -> BTreeSet<String> {
        schemas[name]["required"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has required fields"))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        required("SignInBody"),
        BTreeSet::from(["username".to_string(), "password".to_string()])
    );
    assert!(required("RoundInput").contains("region"));
    assert!(!required("RoundInput").contains("submission_deadline"));
    assert!(
        schemas["RoundInput"]["properties"]
            .get("consultation_end")
            .is_some()
    );
    // String fields checked against the domain's codes carry them as an enumeration.
    assert_eq!(
        schemas["DecisionInput"]["properties"]["decision"]["enum"][0],
        "retain"
    );
    let stance = &schemas["CommentBody"]["properties"]["stance"]["enum"];
    assert!(
        stance.as_array().unwrap().contains(&Value::Null),
        "{stance}"
    );
    // Enumerations of query parameters come from the domain's codes.
    let items = &doc["paths"]["/api/v1/publications/{n}/items"]["get"]["parameters"];
    let kind = items
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "kind")
        .expect("kind");
    assert_eq!(
        kind["schema"]["enum"],
        serde_json::json!(["inspection", "training"])
    );

    // A real error answer has the documented fields and no other.
    let error = &schemas["ErrorDetail"]["properties"];
    let res = app.client.get("/api/v1/users").dispatch();
    assert_eq!(res.status(), Status::Unauthorized);
    let body: Value = serde_json::from_str(&res.into_string().unwrap()).unwrap();
    for key in body["error"].as_object().expect("an error object").keys() {
        assert!(error.get(key).is_some(), "{key} is not documented");
    }
    let res = app.client.get("/api/v1/published-items/1").dispatch();
    assert_eq!(res.status(), Status::NotFound);
    let body: Value = serde_json::from_str(&res.into_string().unwrap()).unwrap();
    let keys: BTreeSet<&String> = body["error"].as_object().unwrap().keys().collect();
    assert!(keys.contains(&"code".to_string()) && keys.contains(&"message".to_string()));
    for key in keys {
        assert!(error.get(key).is_some(), "{key} is not documented");
    }
}
