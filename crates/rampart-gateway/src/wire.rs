//! The OpenAI chat-completions wire format, as the gateway needs it: reading a request into a
//! [`Conversation`] for the guard while keeping the raw JSON to forward (so unknown fields,
//! tools and tool results pass through untouched), writing redactions back into that JSON, and
//! building completions, chunks and refusals.

use rampart_core::{ContentPart, Conversation, ImageData, Message, Role};
use rampart_llm::GenParams;
use serde_json::{Value, json};

use crate::config::LimitsConfig;
use crate::error::ApiError;

/// A parsed `POST /v1/chat/completions` request.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    /// The body as received (the gateway forwards this, with redactions applied).
    pub body: Value,
    pub model: String,
    pub stream: bool,
    /// The messages as rampart sees them, index for index with `body.messages`.
    pub conversation: Conversation,
}

/// Parses and validates a request body.
pub fn parse_chat_request(bytes: &[u8], limits: &LimitsConfig) -> Result<ChatRequest, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ApiError::invalid(
            "invalid_utf8",
            format!(
                "the request body is not valid UTF-8 (at byte {}); send UTF-8 JSON",
                e.valid_up_to()
            ),
        )
    })?;
    let mut body: Value = serde_json::from_str(text).map_err(|e| {
        ApiError::invalid(
            "invalid_json",
            format!("the request body is not valid JSON: {e}"),
        )
    })?;
    let obj = body.as_object().ok_or_else(|| {
        ApiError::invalid("invalid_request", "the request body must be a JSON object")
    })?;
    let model = obj
        .get("model")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| {
            ApiError::invalid(
                "missing_model",
                "`model` is required (a string naming the model)",
            )
            .with_param("model")
        })?
        .to_string();
    let stream = match obj.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(
                ApiError::invalid("invalid_stream", "`stream` must be a boolean")
                    .with_param("stream"),
            );
        }
    };
    let messages = obj
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ApiError::invalid("missing_messages", "`messages` must be an array")
                .with_param("messages")
        })?;
    if messages.is_empty() {
        return Err(
            ApiError::invalid("missing_messages", "`messages` must not be empty")
                .with_param("messages"),
        );
    }
    if messages.len() > limits.max_messages {
        return Err(ApiError::invalid(
            "too_many_messages",
            format!(
                "{} messages is more than the gateway accepts ({})",
                messages.len(),
                limits.max_messages
            ),
        )
        .with_param("messages"));
    }
    let mut conversation = Conversation::new();
    for (i, m) in messages.iter().enumerate() {
        let msg = parse_message(i, m)?;
        let chars = msg.content.iter().map(|p| match p {
            ContentPart::Text { text } => text.chars().count(),
            ContentPart::Image { .. } => 0,
        });
        let chars: usize = chars.sum();
        if chars > limits.max_message_chars {
            return Err(ApiError::invalid(
                "message_too_long",
                format!(
                    "message {i} has {chars} characters, more than the gateway accepts ({})",
                    limits.max_message_chars
                ),
            )
            .with_param("messages"));
        }
        conversation.push(msg);
    }
    // `document` is rampart's role for retrieved content; OpenAI-compatible servers do not know
    // it, so it travels upstream as user content (after being checked as untrusted).
    if let Some(msgs) = body.get_mut("messages").and_then(Value::as_array_mut) {
        for m in msgs {
            if m.get("role").and_then(Value::as_str) == Some("document") {
                m["role"] = json!("user");
            }
        }
    }
    Ok(ChatRequest {
        body,
        model,
        stream,
        conversation,
    })
}

fn parse_message(i: usize, m: &Value) -> Result<Message, ApiError> {
    let bad = |what: String| {
        ApiError::invalid("invalid_message", format!("message {i}: {what}")).with_param("messages")
    };
    let role = m
        .get("role")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("`role` is required".into()))?;
    let role = match role {
        "system" | "developer" => Role::System,
        "user" => Role::User,
        "assistant" => Role::Assistant,
        "tool" | "function" => Role::Tool,
        "document" => Role::Document,
        other => return Err(bad(format!("unknown role `{other}`"))),
    };
    let mut content = Vec::new();
    match m.get("content") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => content.push(ContentPart::Text { text: s.clone() }),
        Some(Value::Array(parts)) => {
            for p in parts {
                match p.get("type").and_then(Value::as_str) {
                    Some("text") | Some("input_text") => {
                        let text = p
                            .get("text")
                            .and_then(Value::as_str)
                            .ok_or_else(|| bad("a text part has no `text`".into()))?;
                        content.push(ContentPart::Text {
                            text: text.to_string(),
                        });
                    }
                    Some("image_url") => {
                        let url = p
                            .pointer("/image_url/url")
                            .or_else(|| p.get("image_url"))
                            .and_then(Value::as_str)
                            .ok_or_else(|| bad("an image_url part has no url".into()))?;
                        content.push(ContentPart::Image {
                            image: ImageData::Url {
                                url: url.to_string(),
                            },
                        });
                    }
                    // Audio, files, refusals…: forwarded untouched, not checked as text.
                    Some(_) => {}
                    None => return Err(bad("a content part has no `type`".into())),
                }
            }
        }
        Some(_) => {
            return Err(bad(
                "`content` must be a string, an array of parts or null".into()
            ));
        }
    }
    Ok(Message {
        role,
        content,
        name: m.get("name").and_then(Value::as_str).map(str::to_string),
        tool_call_id: m
            .get("tool_call_id")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// Replaces the text of message `index` in the raw body with `redacted`, keeping its non-text
/// parts (images) where they were.
pub fn redact_message(body: &mut Value, index: usize, redacted: &str) {
    let Some(msg) = body.get_mut("messages").and_then(|m| m.get_mut(index)) else {
        return;
    };
    match msg.get_mut("content") {
        Some(Value::Array(parts)) => {
            let mut out = vec![json!({"type": "text", "text": redacted})];
            out.extend(
                parts
                    .iter()
                    .filter(|p| {
                        !matches!(
                            p.get("type").and_then(Value::as_str),
                            Some("text") | Some("input_text")
                        )
                    })
                    .cloned(),
            );
            *parts = out;
        }
        _ => msg["content"] = json!(redacted),
    }
}

/// Generation parameters from a request body, for in-process upstreams.
pub fn gen_params(body: &Value) -> Result<GenParams, ApiError> {
    let mut p = GenParams::default();
    if let Some(n) = body
        .get("max_completion_tokens")
        .or_else(|| body.get("max_tokens"))
        .and_then(Value::as_u64)
    {
        p.max_tokens = n.min(u32::MAX as u64) as u32;
    }
    if let Some(t) = body.get("temperature").and_then(Value::as_f64) {
        p.temperature = t as f32;
    }
    if let Some(t) = body.get("top_p").and_then(Value::as_f64) {
        p.top_p = t as f32;
    }
    p.seed = body.get("seed").and_then(Value::as_u64);
    match body.get("stop") {
        Some(Value::String(s)) => p.stop = vec![s.clone()],
        Some(Value::Array(a)) => {
            p.stop = a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        }
        _ => {}
    }
    if let Some(tools) = body.get("tools").and_then(Value::as_array) {
        p.tools = tools.clone();
    }
    p.validate()
        .map_err(|e| ApiError::invalid("invalid_parameter", e.to_string()))?;
    Ok(p)
}

/// A fresh `chatcmpl-…` id.
pub fn completion_id() -> String {
    format!(
        "chatcmpl-{:016x}{:08x}",
        rand::random::<u64>(),
        rand::random::<u32>()
    )
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A complete `chat.completion` with one choice.
pub fn completion(
    id: &str,
    model: &str,
    content: &str,
    finish_reason: &str,
    tool_calls: Option<Value>,
    usage: Option<(u32, u32)>,
) -> Value {
    let mut message = json!({"role": "assistant", "content": content, "refusal": null});
    if let Some(tc) = tool_calls {
        message["tool_calls"] = tc;
    }
    let mut v = json!({
        "id": id,
        "object": "chat.completion",
        "created": unix_now(),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish_reason}],
    });
    let (p, c) = usage.unwrap_or((0, 0));
    v["usage"] = json!({"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c});
    v
}

/// The fields every chunk of one stream shares (`id`, `object`, `created`, `model`, …).
#[derive(Debug, Clone)]
pub struct ChunkTemplate {
    pub id: String,
    pub created: u64,
    pub model: String,
    pub system_fingerprint: Option<Value>,
}

impl ChunkTemplate {
    pub fn new(model: &str) -> Self {
        ChunkTemplate {
            id: completion_id(),
            created: unix_now(),
            model: model.to_string(),
            system_fingerprint: None,
        }
    }

    /// Takes id, created, model and fingerprint from an upstream chunk.
    pub fn from_chunk(chunk: &Value, fallback_model: &str) -> Self {
        ChunkTemplate {
            id: chunk
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(completion_id),
            created: chunk
                .get("created")
                .and_then(Value::as_u64)
                .unwrap_or_else(unix_now),
            model: chunk
                .get("model")
                .and_then(Value::as_str)
                .unwrap_or(fallback_model)
                .to_string(),
            system_fingerprint: chunk.get("system_fingerprint").cloned(),
        }
    }

    /// A `chat.completion.chunk` with one choice.
    pub fn chunk(&self, index: u64, delta: Value, finish_reason: Option<&str>) -> Value {
        let mut v = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": index, "delta": delta, "logprobs": null, "finish_reason": finish_reason}],
        });
        if let Some(fp) = &self.system_fingerprint {
            v["system_fingerprint"] = fp.clone();
        }
        v
    }
}

/// One SSE `data:` event.
pub fn sse_event(v: &Value) -> bytes::Bytes {
    bytes::Bytes::from(format!("data: {v}\n\n"))
}

/// The end-of-stream sentinel.
pub fn sse_done() -> bytes::Bytes {
    bytes::Bytes::from_static(b"data: [DONE]\n\n")
}

/// The text of a choice's message (string content or text parts).
pub fn message_text(message: &Value) -> Option<String> {
    match message.get("content") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(parts)) => Some(
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(""),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> LimitsConfig {
        LimitsConfig::default()
    }

    #[test]
    fn parses_text_images_tools_and_documents() {
        let body = json!({
            "model": "m",
            "stream": true,
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
            "x_unknown": 1,
            "messages": [
                {"role": "developer", "content": "be brief"},
                {"role": "user", "content": [
                    {"type": "text", "text": "what is this?"},
                    {"type": "image_url", "image_url": {"url": "https://x/y.png"}}
                ]},
                {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
                    "function": {"name": "f", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "result"},
                {"role": "document", "content": "retrieved"}
            ]
        });
        let r = parse_chat_request(body.to_string().as_bytes(), &limits()).unwrap();
        assert!(r.stream);
        assert_eq!(r.model, "m");
        let roles: Vec<Role> = r.conversation.messages.iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [
                Role::System,
                Role::User,
                Role::Assistant,
                Role::Tool,
                Role::Document
            ]
        );
        assert!(r.conversation.messages[1].has_image());
        assert_eq!(
            r.conversation.messages[3].tool_call_id.as_deref(),
            Some("c1")
        );
        // forwarded body: unknown fields and tools kept, document travels as user
        assert_eq!(r.body["x_unknown"], 1);
        assert_eq!(r.body["messages"][4]["role"], "user");
        assert_eq!(r.body["messages"][2]["tool_calls"][0]["id"], "c1");
    }

    #[test]
    fn rejects_bad_requests_with_specific_codes() {
        let cases: [(&[u8], &str); 7] = [
            (b"{not json", "invalid_json"),
            (b"\xff\xfe{}", "invalid_utf8"),
            (b"[1]", "invalid_request"),
            (
                br#"{"messages":[{"role":"user","content":"x"}]}"#,
                "missing_model",
            ),
            (br#"{"model":"m","messages":[]}"#, "missing_messages"),
            (
                br#"{"model":"m","messages":[{"role":"robot","content":"x"}]}"#,
                "invalid_message",
            ),
            (
                br#"{"model":"m","stream":"yes","messages":[{"role":"user","content":"x"}]}"#,
                "invalid_stream",
            ),
        ];
        for (body, code) in cases {
            let e = parse_chat_request(body, &limits()).unwrap_err();
            assert_eq!(e.code, code, "{}", String::from_utf8_lossy(body));
            assert_eq!(e.status, 400);
        }
        let small = LimitsConfig {
            max_message_chars: 3,
            ..LimitsConfig::default()
        };
        let e = parse_chat_request(
            br#"{"model":"m","messages":[{"role":"user","content":"four"}]}"#,
            &small,
        )
        .unwrap_err();
        assert_eq!(e.code, "message_too_long");
    }

    #[test]
    fn redaction_keeps_images() {
        let mut body = json!({"messages": [
            {"role": "user", "content": "a@b.example"},
            {"role": "user", "content": [{"type": "text", "text": "mail a@b.example"},
                                          {"type": "image_url", "image_url": {"url": "u"}}]}
        ]});
        redact_message(&mut body, 0, "[X]");
        redact_message(&mut body, 1, "mail [X]");
        assert_eq!(body["messages"][0]["content"], "[X]");
        assert_eq!(body["messages"][1]["content"][0]["text"], "mail [X]");
        assert_eq!(body["messages"][1]["content"][1]["type"], "image_url");
    }

    #[test]
    fn gen_params_from_body() {
        let p = gen_params(&json!({"max_tokens": 9, "temperature": 0.5, "stop": "END", "seed": 4}))
            .unwrap();
        assert_eq!((p.max_tokens, p.temperature, p.seed), (9, 0.5, Some(4)));
        assert_eq!(p.stop, vec!["END"]);
        assert!(gen_params(&json!({"top_p": 0})).is_err());
    }
}
