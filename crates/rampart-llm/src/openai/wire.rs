//! Converting between rampart's types and the OpenAI chat-completions wire format.

use rampart_core::{ContentPart, Conversation, Role};
use serde_json::{Value, json};

use crate::{FinishReason, GenParams, ToolCall, Usage};

/// The request body for `/chat/completions`.
pub fn request_body(
    model: &str,
    conversation: &Conversation,
    params: &GenParams,
    stream: bool,
) -> Value {
    let messages: Vec<Value> = conversation.messages.iter().map(message_json).collect();
    let mut body = json!({
        "model": model,
        "messages": messages,
        "max_tokens": params.max_tokens,
        "temperature": params.temperature,
        "top_p": params.top_p,
        "stream": stream,
    });
    if let Some(seed) = params.seed {
        body["seed"] = json!(seed);
    }
    if !params.stop.is_empty() {
        body["stop"] = json!(params.stop);
    }
    if !params.tools.is_empty() {
        body["tools"] = json!(params.tools);
    }
    if stream {
        body["stream_options"] = json!({"include_usage": true});
    }
    body
}

fn message_json(m: &rampart_core::Message) -> Value {
    // The OpenAI protocol has no role for retrieved documents: they travel as user content.
    // A tool message without the id of the call it answers is not valid there either.
    let role = match m.role {
        Role::System => "system",
        Role::User | Role::Document => "user",
        Role::Assistant => "assistant",
        Role::Tool if m.tool_call_id.is_some() => "tool",
        Role::Tool => "user",
    };
    let content = match m.content.as_slice() {
        [ContentPart::Text { text }] => json!(text),
        parts => Value::Array(
            parts
                .iter()
                .map(|p| match p {
                    ContentPart::Text { text } => json!({"type": "text", "text": text}),
                    ContentPart::Image { image } => {
                        json!({"type": "image_url", "image_url": {"url": image.to_url()}})
                    }
                })
                .collect(),
        ),
    };
    let mut msg = json!({"role": role, "content": content});
    if let Some(name) = &m.name {
        msg["name"] = json!(name);
    }
    if role == "tool" {
        msg["tool_call_id"] = json!(m.tool_call_id);
    }
    msg
}

/// The parts of a non-streamed completion that rampart uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub text: String,
    pub finish_reason: FinishReason,
    pub usage: Option<Usage>,
    pub model: Option<String>,
    pub tool_calls: Vec<ToolCall>,
}

/// Parses a `/chat/completions` response body. The error is a short human description.
pub fn parse_completion(body: &Value) -> Result<Completion, String> {
    let choice = body
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .ok_or("no `choices` in the response")?;
    let message = choice
        .get("message")
        .ok_or("the first choice has no `message`")?;
    let text = match message.get("content") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        Some(other) => return Err(format!("`content` is neither text nor parts: {other}")),
    };
    let tool_calls = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .map(|calls| calls.iter().filter_map(parse_tool_call).collect())
        .unwrap_or_default();
    let finish_reason = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .map(FinishReason::from_openai)
        .unwrap_or(FinishReason::Stop);
    Ok(Completion {
        text,
        finish_reason,
        usage: parse_usage(body),
        model: body
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_string),
        tool_calls,
    })
}

fn parse_tool_call(v: &Value) -> Option<ToolCall> {
    let f = v.get("function")?;
    Some(ToolCall {
        id: v
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        name: f.get("name").and_then(Value::as_str)?.to_string(),
        arguments: match f.get("arguments") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        },
    })
}

/// Reads `usage` if present.
pub fn parse_usage(body: &Value) -> Option<Usage> {
    let u = body.get("usage")?;
    Some(Usage {
        prompt_tokens: u.get("prompt_tokens").and_then(Value::as_u64).unwrap_or(0) as u32,
        completion_tokens: u
            .get("completion_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0) as u32,
    })
}

/// Extracts the human message of an OpenAI-shaped error body, or a trimmed excerpt of any body.
pub fn error_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        if let Some(m) = v.pointer("/error/message").and_then(Value::as_str) {
            return m.to_string();
        }
        if let Some(m) = v.get("error").and_then(Value::as_str) {
            return m.to_string();
        }
        if let Some(m) = v.get("message").and_then(Value::as_str) {
            return m.to_string();
        }
    }
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return "(empty body)".into();
    }
    let mut excerpt: String = trimmed.chars().take(200).collect();
    if trimmed.chars().count() > 200 {
        excerpt.push('…');
    }
    excerpt
}

/// Accumulates the deltas of a streamed completion.
#[derive(Debug, Default)]
pub struct StreamAccumulator {
    pub text: String,
    pub finish_reason: Option<FinishReason>,
    pub usage: Option<Usage>,
    pub model: Option<String>,
    /// Tool calls by index: (id, name, arguments so far).
    tool_calls: Vec<(String, String, String)>,
    pub chunks: u32,
}

impl StreamAccumulator {
    /// Applies one `data:` chunk and returns the text delta it carried (possibly empty).
    pub fn apply(&mut self, chunk: &Value) -> Result<String, String> {
        if let Some(err) = chunk.get("error") {
            let msg = err
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| err.to_string());
            return Err(format!("the server reported an error mid-stream: {msg}"));
        }
        if !chunk.is_object() {
            return Err(format!("chunk is not a JSON object: {chunk}"));
        }
        self.chunks += 1;
        if self.model.is_none() {
            self.model = chunk
                .get("model")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        if let Some(u) = parse_usage(chunk) {
            self.usage = Some(u);
        }
        let Some(choice) = chunk
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|c| c.first())
        else {
            return Ok(String::new());
        };
        if let Some(fr) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(FinishReason::from_openai(fr));
        }
        let delta = choice.get("delta");
        let text = delta
            .and_then(|d| d.get("content"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        self.text.push_str(&text);
        if let Some(calls) = delta
            .and_then(|d| d.get("tool_calls"))
            .and_then(Value::as_array)
        {
            for call in calls {
                let idx = call.get("index").and_then(Value::as_u64).unwrap_or(0) as usize;
                if idx >= 128 {
                    return Err(format!("tool call index {idx} is implausible"));
                }
                if self.tool_calls.len() <= idx {
                    self.tool_calls.resize(idx + 1, Default::default());
                }
                let slot = &mut self.tool_calls[idx];
                if let Some(id) = call.get("id").and_then(Value::as_str) {
                    slot.0 = id.to_string();
                }
                if let Some(f) = call.get("function") {
                    if let Some(n) = f.get("name").and_then(Value::as_str) {
                        slot.1.push_str(n);
                    }
                    if let Some(a) = f.get("arguments").and_then(Value::as_str) {
                        slot.2.push_str(a);
                    }
                }
            }
        }
        Ok(text)
    }

    pub fn tool_calls(&self) -> Vec<ToolCall> {
        self.tool_calls
            .iter()
            .filter(|(_, name, _)| !name.is_empty())
            .map(|(id, name, arguments)| ToolCall {
                id: id.clone(),
                name: name.clone(),
                arguments: arguments.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::{ImageData, Message};

    #[test]
    fn request_maps_roles_and_images() {
        let conv = Conversation::new()
            .with(Message::system("sys"))
            .with(Message::user("look").with_image(ImageData::Url {
                url: "https://x/y.png".into(),
            }))
            .with(Message::document("doc"));
        let params = GenParams {
            seed: Some(3),
            stop: vec!["END".into()],
            ..Default::default()
        };
        let body = request_body("m", &conv, &params, true);
        assert_eq!(body["messages"][0]["content"], "sys");
        assert_eq!(body["messages"][1]["content"][1]["type"], "image_url");
        assert_eq!(body["messages"][2]["role"], "user");
        assert_eq!(body["seed"], 3);
        assert_eq!(body["stop"][0], "END");
        assert_eq!(body["stream_options"]["include_usage"], true);
    }

    #[test]
    fn parses_completion_and_tool_calls() {
        let body = json!({
            "model": "m1",
            "choices": [{"message": {"role": "assistant", "content": null,
                "tool_calls": [{"id": "c1", "type": "function",
                    "function": {"name": "send_email", "arguments": "{\"to\":\"x\"}"}}]},
                "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 7}
        });
        let c = parse_completion(&body).unwrap();
        assert_eq!(c.text, "");
        assert_eq!(c.finish_reason, FinishReason::ToolCalls);
        assert_eq!(c.tool_calls[0].name, "send_email");
        assert_eq!(c.usage.unwrap().completion_tokens, 7);
        assert!(parse_completion(&json!({"choices": []})).is_err());
        assert!(parse_completion(&json!({"id": 1})).is_err());
    }

    #[test]
    fn accumulates_stream_chunks() {
        let mut acc = StreamAccumulator::default();
        assert_eq!(
            acc.apply(&json!({"choices":[{"delta":{"role":"assistant"}}]}))
                .unwrap(),
            ""
        );
        assert_eq!(
            acc.apply(&json!({"choices":[{"delta":{"content":"Hel"}}]}))
                .unwrap(),
            "Hel"
        );
        assert_eq!(
            acc.apply(&json!({"choices":[{"delta":{"content":"lo"},"finish_reason":"stop"}]}))
                .unwrap(),
            "lo"
        );
        acc.apply(&json!({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}))
            .unwrap();
        assert_eq!(acc.text, "Hello");
        assert_eq!(acc.finish_reason, Some(FinishReason::Stop));
        assert_eq!(acc.usage.unwrap().prompt_tokens, 3);
        assert!(acc.apply(&json!({"error":{"message":"boom"}})).is_err());
        assert!(acc.apply(&json!([1, 2])).is_err());
    }

    #[test]
    fn error_messages_are_extracted() {
        assert_eq!(
            error_message(r#"{"error":{"message":"bad key"}}"#),
            "bad key"
        );
        assert_eq!(error_message(""), "(empty body)");
        assert!(error_message(&"x".repeat(500)).ends_with('…'));
    }
}
