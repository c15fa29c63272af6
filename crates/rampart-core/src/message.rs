//! Messages and conversations: roles plus text and image content parts, multi-turn by default.

use serde::{Deserialize, Serialize};

/// Who wrote a message.
///
/// `Document` marks untrusted third-party content (retrieved documents, web pages, emails) that
/// reaches the model inside a conversation: guard checks it for indirect prompt injection, and
/// connectors that speak a protocol without such a role send it as user content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
    /// Output of a tool or function call (untrusted, like `Document`).
    Tool,
    /// Untrusted content such as a retrieved document or web page.
    Document,
}

impl Role {
    /// Stable lowercase id.
    pub fn id(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
            Role::Document => "document",
        }
    }

    /// Whether content with this role comes from a third party rather than the user or operator.
    pub fn is_untrusted_content(self) -> bool {
        matches!(self, Role::Tool | Role::Document)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "system" => Ok(Role::System),
            "user" => Ok(Role::User),
            "assistant" => Ok(Role::Assistant),
            "tool" => Ok(Role::Tool),
            "document" => Ok(Role::Document),
            other => Err(format!(
                "unknown role `{other}`; expected system, user, assistant, tool or document"
            )),
        }
    }
}

/// Where an image comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ImageData {
    /// A URL the target fetches itself (`https://…` or a `data:` URL).
    Url { url: String },
    /// Encoded image bytes (PNG, JPEG, …) carried inline, base64 in JSON.
    Inline {
        mime: String,
        #[serde(with = "base64_bytes")]
        bytes: Vec<u8>,
    },
}

impl ImageData {
    /// The image as a URL: the URL itself, or a `data:` URL for inline bytes.
    pub fn to_url(&self) -> String {
        use base64::Engine as _;
        match self {
            ImageData::Url { url } => url.clone(),
            ImageData::Inline { mime, bytes } => format!(
                "data:{mime};base64,{}",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            ),
        }
    }
}

mod base64_bytes {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

/// One part of a message's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    Text { text: String },
    Image { image: ImageData },
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: Vec<ContentPart>,
    /// Optional author name (OpenAI's `name`), or the tool name for `Role::Tool`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// For `Role::Tool`: the id of the call this message answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    /// A text-only message.
    pub fn new(role: Role, text: impl Into<String>) -> Self {
        Message {
            role,
            content: vec![ContentPart::Text { text: text.into() }],
            name: None,
            tool_call_id: None,
        }
    }

    pub fn system(text: impl Into<String>) -> Self {
        Self::new(Role::System, text)
    }

    pub fn user(text: impl Into<String>) -> Self {
        Self::new(Role::User, text)
    }

    pub fn assistant(text: impl Into<String>) -> Self {
        Self::new(Role::Assistant, text)
    }

    pub fn document(text: impl Into<String>) -> Self {
        Self::new(Role::Document, text)
    }

    /// Adds an image part.
    pub fn with_image(mut self, image: ImageData) -> Self {
        self.content.push(ContentPart::Image { image });
        self
    }

    /// The text parts joined by newlines (images are skipped).
    pub fn text(&self) -> String {
        let mut out = String::new();
        for part in &self.content {
            if let ContentPart::Text { text } = part {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(text);
            }
        }
        out
    }

    /// Whether any part is an image.
    pub fn has_image(&self) -> bool {
        self.content
            .iter()
            .any(|p| matches!(p, ContentPart::Image { .. }))
    }
}

/// An ordered list of messages. Multi-turn by default; a single prompt is a one-message
/// conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Conversation {
    pub messages: Vec<Message>,
}

impl Conversation {
    pub fn new() -> Self {
        Self::default()
    }

    /// A conversation of a single user turn.
    pub fn from_prompt(prompt: impl Into<String>) -> Self {
        Conversation {
            messages: vec![Message::user(prompt)],
        }
    }

    /// Appends a message (builder style).
    pub fn with(mut self, message: Message) -> Self {
        self.messages.push(message);
        self
    }

    pub fn push(&mut self, message: Message) {
        self.messages.push(message);
    }

    /// The last message written by the user, if any.
    pub fn last_user(&self) -> Option<&Message> {
        self.messages.iter().rev().find(|m| m.role == Role::User)
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }
}

impl From<Vec<Message>> for Conversation {
    fn from(messages: Vec<Message>) -> Self {
        Conversation { messages }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_with_image() {
        let conv = Conversation::new()
            .with(Message::system("be nice"))
            .with(
                Message::user("what is this?").with_image(ImageData::Inline {
                    mime: "image/png".into(),
                    bytes: vec![0x89, b'P', b'N', b'G'],
                }),
            )
            .with(Message::document("retrieved text"));
        let json = serde_json::to_string(&conv).unwrap();
        let back: Conversation = serde_json::from_str(&json).unwrap();
        assert_eq!(back, conv);
        assert!(back.messages[1].has_image());
        assert_eq!(back.last_user().unwrap().text(), "what is this?");
    }

    #[test]
    fn data_url_for_inline_images() {
        let img = ImageData::Inline {
            mime: "image/png".into(),
            bytes: b"abc".to_vec(),
        };
        assert_eq!(img.to_url(), "data:image/png;base64,YWJj");
    }

    #[test]
    fn roles_parse_and_mark_untrusted_content() {
        for r in [
            Role::System,
            Role::User,
            Role::Assistant,
            Role::Tool,
            Role::Document,
        ] {
            assert_eq!(r.id().parse::<Role>().unwrap(), r);
        }
        assert!(Role::Document.is_untrusted_content());
        assert!(Role::Tool.is_untrusted_content());
        assert!(!Role::User.is_untrusted_content());
        assert!("robot".parse::<Role>().is_err());
    }
}
