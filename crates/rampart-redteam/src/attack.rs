//! The [`Attack`]: what techniques transform.

use rampart_core::{ContentPart, Conversation, ImageData, Message, Role};
use serde::{Deserialize, Serialize};

/// An attack under construction: the goal it pursues and the conversation that will be sent.
///
/// The *payload* is the text of the last user message: text techniques rewrite it, framing
/// techniques wrap it, multi-turn techniques spread it over several messages, multimodal ones move
/// it into an image, and indirect ones hide it in a document or tool output (the user message then
/// carries the benign-looking task). Images already in the last user message are kept when its
/// text is rewritten.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attack {
    /// The goal text the attack started from (never transformed; the ground truth for checks).
    pub goal: String,
    /// The conversation to send to the target.
    pub conversation: Conversation,
    /// OpenAI-style tool specifications to offer the target (agentic techniques add them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<serde_json::Value>,
}

impl Attack {
    /// A one-turn attack whose payload is the goal text itself.
    pub fn from_goal(goal: impl Into<String>) -> Attack {
        let goal = goal.into();
        Attack {
            conversation: Conversation::from_prompt(goal.clone()),
            goal,
            tools: Vec::new(),
        }
    }

    fn last_user_index(&self) -> Option<usize> {
        self.conversation
            .messages
            .iter()
            .rposition(|m| m.role == Role::User)
    }

    /// The text of the last user message (empty when there is none).
    pub fn payload(&self) -> String {
        self.last_user_index()
            .map(|i| self.conversation.messages[i].text())
            .unwrap_or_default()
    }

    /// Replaces the text of the last user message (its images stay, after the text); adds a user
    /// message when there is none.
    pub fn set_payload(&mut self, text: impl Into<String>) {
        let text = text.into();
        match self.last_user_index() {
            Some(i) => {
                let message = &mut self.conversation.messages[i];
                message
                    .content
                    .retain(|p| !matches!(p, ContentPart::Text { .. }));
                message.content.insert(0, ContentPart::Text { text });
            }
            None => self.conversation.push(Message::user(text)),
        }
    }

    /// Rewrites the payload with `f`.
    pub fn map_payload(mut self, f: impl FnOnce(&str) -> String) -> Attack {
        let text = f(&self.payload());
        self.set_payload(text);
        self
    }

    /// Replaces the last user message by `messages` (the payload's turn becomes several), keeping
    /// everything before it.
    pub fn replace_last_user(&mut self, messages: Vec<Message>) {
        match self.last_user_index() {
            Some(i) => {
                self.conversation.messages.splice(i..=i, messages);
            }
            None => self.conversation.messages.extend(messages),
        }
    }

    /// Inserts messages just before the last user message (fabricated history, documents).
    pub fn insert_before_payload(&mut self, messages: Vec<Message>) {
        let at = self
            .last_user_index()
            .unwrap_or(self.conversation.messages.len());
        self.conversation.messages.splice(at..at, messages);
    }

    /// Adds a system message at the start (after an existing system message, if any).
    pub fn add_system(&mut self, text: impl Into<String>) {
        let at = self
            .conversation
            .messages
            .iter()
            .take_while(|m| m.role == Role::System)
            .count();
        self.conversation
            .messages
            .insert(at, Message::system(text.into()));
    }

    /// Attaches an image to the last user message.
    pub fn attach_image(&mut self, image: ImageData) {
        match self.last_user_index() {
            Some(i) => self.conversation.messages[i]
                .content
                .push(ContentPart::Image { image }),
            None => self
                .conversation
                .push(Message::user(String::new()).with_image(image)),
        }
    }

    /// Every image in the conversation, in order.
    pub fn images(&self) -> Vec<&ImageData> {
        self.conversation
            .messages
            .iter()
            .flat_map(|m| m.content.iter())
            .filter_map(|p| match p {
                ContentPart::Image { image } => Some(image),
                ContentPart::Text { .. } => None,
            })
            .collect()
    }

    /// All text of the conversation, messages separated by blank lines: what a text-only check
    /// (guard's evasion test, say) reads.
    pub fn all_text(&self) -> String {
        self.conversation
            .messages
            .iter()
            .map(|m| m.text())
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_is_the_last_user_message() {
        let mut a = Attack::from_goal("do the thing");
        assert_eq!(a.payload(), "do the thing");
        a.insert_before_payload(vec![Message::assistant("earlier")]);
        a.set_payload("wrapped");
        assert_eq!(a.conversation.messages.len(), 2);
        assert_eq!(a.payload(), "wrapped");
        a.add_system("sys");
        assert_eq!(a.conversation.messages[0].role, Role::System);
        assert_eq!(a.goal, "do the thing");
    }

    #[test]
    fn images_survive_payload_rewrites() {
        let mut a = Attack::from_goal("x");
        a.attach_image(ImageData::Inline {
            mime: "image/png".into(),
            bytes: vec![1, 2],
        });
        let a = a.map_payload(|t| format!("[{t}]"));
        assert_eq!(a.payload(), "[x]");
        assert_eq!(a.images().len(), 1);
    }
}
