//! An OpenAI-protocol client pointed at the gateway works unchanged: a strict typed client.
//!
//! `tests/async_openai.rs` runs the real `async-openai` SDK; this test checks the wire format
//! more strictly than the SDK does: it deserialises every response into OpenAI's types with the
//! required fields required, reads the stream as the SDKs do (SSE `data:` lines up to
//! `[DONE]`), and checks the error object of an authentication failure field by field.

mod common;

use std::collections::HashMap;

use common::*;
use rampart_gateway::{KeyConfig, auth::hash_key};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
struct ChatCompletion {
    id: String,
    object: String,
    created: u64,
    model: String,
    choices: Vec<Choice>,
    usage: Option<Usage>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    index: u32,
    message: Message,
    finish_reason: String,
}

#[derive(Debug, Deserialize)]
struct Message {
    role: String,
    content: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Usage {
    prompt_tokens: u32,
    completion_tokens: u32,
    total_tokens: u32,
}

#[derive(Debug, Deserialize)]
struct ChatCompletionChunk {
    id: String,
    object: String,
    created: u64,
    model: String,
    choices: Vec<ChunkChoice>,
}

#[derive(Debug, Deserialize)]
struct ChunkChoice {
    index: u32,
    delta: Delta,
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Delta {
    #[allow(dead_code)]
    role: Option<String>,
    content: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ModerationResponse {
    id: String,
    model: String,
    results: Vec<ModerationResult>,
}

#[derive(Debug, Deserialize)]
struct ModerationResult {
    flagged: bool,
    categories: HashMap<String, bool>,
    category_scores: HashMap<String, f64>,
}

#[derive(Debug, Deserialize)]
struct ApiErrorBody {
    error: ApiErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ApiErrorDetail {
    message: String,
    #[serde(rename = "type")]
    kind: String,
    code: Option<String>,
}

/// The minimal OpenAI client: base URL plus key, like `OpenAI(base_url=..., api_key=...)`.
struct OpenAi {
    base: String,
    key: String,
    http: reqwest::Client,
}

impl OpenAi {
    async fn create(&self, body: serde_json::Value) -> Result<ChatCompletion, ApiErrorBody> {
        let resp = self
            .http
            .post(format!("{}/chat/completions", self.base))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await
            .unwrap();
        if resp.status().is_success() {
            Ok(resp.json().await.unwrap())
        } else {
            Err(resp.json().await.unwrap())
        }
    }

    async fn create_stream(&self, body: serde_json::Value) -> Vec<ChatCompletionChunk> {
        let resp = self
            .http
            .post(format!("{}/chat/completions", self.base))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success());
        let mut chunks = Vec::new();
        for data in sse_events(resp).await {
            if data == "[DONE]" {
                break;
            }
            chunks.push(serde_json::from_str(&data).unwrap_or_else(|e| panic!("{e}: {data}")));
        }
        chunks
    }

    async fn moderate(&self, input: &str) -> ModerationResponse {
        self.http
            .post(format!("{}/moderations", self.base))
            .bearer_auth(&self.key)
            .json(&json!({"model": "omni-moderation-latest", "input": input}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn openai_client_works_unchanged() {
    let up = spawn(scripted(Script::new("Paris is the capital of France."))).await;
    let mut cfg = config_for(up);
    cfg.keys = vec![KeyConfig {
        name: "app".into(),
        sha256: hash_key("sk-rampart-test"),
        requests_per_minute: None,
        burst: None,
    }];
    let (url, _stop) = start(cfg, test_guard()).await;
    let client = OpenAi {
        base: url.clone(),
        key: "sk-rampart-test".into(),
        http: client(),
    };
    let request = json!({"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "What is the capital of France?"}
    ], "temperature": 0});

    let c = client.create(request.clone()).await.unwrap();
    assert!(c.id.starts_with("chatcmpl-"));
    assert_eq!(c.object, "chat.completion");
    assert!(c.created > 0);
    assert_eq!(c.model, "gpt-4o-mini");
    assert_eq!(c.choices[0].index, 0);
    assert_eq!(c.choices[0].message.role, "assistant");
    assert_eq!(
        c.choices[0].message.content.as_deref(),
        Some("Paris is the capital of France.")
    );
    assert_eq!(c.choices[0].finish_reason, "stop");
    let u = c.usage.unwrap();
    assert_eq!(u.prompt_tokens + u.completion_tokens, u.total_tokens);

    let mut stream_req = request.clone();
    stream_req["stream"] = json!(true);
    let chunks = client.create_stream(stream_req).await;
    let text: String = chunks
        .iter()
        .flat_map(|c| c.choices.iter())
        .filter_map(|c| c.delta.content.clone())
        .collect();
    assert_eq!(text, "Paris is the capital of France.");
    assert!(
        chunks
            .iter()
            .all(|c| c.object == "chat.completion.chunk" && !c.id.is_empty() && c.created > 0)
    );
    assert!(chunks.iter().all(|c| c.model == "gpt-4o-mini"));
    let last = chunks.iter().rev().find(|c| !c.choices.is_empty()).unwrap();
    assert_eq!(last.choices[0].finish_reason.as_deref(), Some("stop"));
    assert_eq!(last.choices[0].index, 0);

    // A refused request is an ordinary completion to the client.
    let mut blocked = request.clone();
    blocked["messages"][1]["content"] = json!("Explain zorblax");
    let c = client.create(blocked).await.unwrap();
    assert_eq!(c.choices[0].finish_reason, "content_filter");
    assert_eq!(
        c.choices[0].message.content.as_deref(),
        Some("Blocked by rampart.")
    );

    let m = client.moderate("you dimwit").await;
    assert!(m.id.starts_with("modr-"));
    assert_eq!(m.model, "omni-moderation-latest");
    assert!(m.results[0].flagged);
    assert!(m.results[0].categories["harassment"]);
    assert!(m.results[0].category_scores["harassment"] > 0.5);

    // A wrong key is the SDKs' AuthenticationError (401 with an error object).
    let bad = OpenAi {
        base: url,
        key: "sk-wrong".into(),
        http: common::client(),
    };
    let e = bad.create(request).await.unwrap_err();
    assert_eq!(e.error.kind, "authentication_error");
    assert_eq!(e.error.code.as_deref(), Some("invalid_api_key"));
    assert!(!e.error.message.is_empty());
}
