//! The `async-openai` SDK, unmodified, pointed at the gateway: chat completions (plain and
//! streamed), a request the guard blocks, moderations, and a wrong API key.

mod common;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    CreateChatCompletionRequest, CreateChatCompletionRequestArgs, FinishReason,
};
use async_openai::types::moderations::CreateModerationRequestArgs;
use common::*;
use futures::StreamExt;
use rampart_gateway::{KeyConfig, auth::hash_key};

fn sdk(base: &str, key: &str) -> Client<OpenAIConfig> {
    Client::with_config(OpenAIConfig::new().with_api_base(base).with_api_key(key))
}

fn request(user: &str) -> CreateChatCompletionRequest {
    CreateChatCompletionRequestArgs::default()
        .model("gpt-4o-mini")
        .messages([
            ChatCompletionRequestSystemMessage::from("Answer briefly.").into(),
            ChatCompletionRequestUserMessage::from(user).into(),
        ])
        .temperature(0.0)
        .build()
        .unwrap()
}

#[tokio::test]
async fn async_openai_sdk_works_unchanged() {
    let up = spawn(scripted(Script::new("Paris is the capital of France."))).await;
    let mut cfg = config_for(up);
    cfg.keys = vec![KeyConfig {
        name: "app".into(),
        sha256: hash_key("sk-rampart-test"),
        requests_per_minute: None,
        burst: None,
    }];
    let (url, _stop) = start(cfg, test_guard()).await;
    let client = sdk(&url, "sk-rampart-test");

    let c = client
        .chat()
        .create(request("What is the capital of France?"))
        .await
        .unwrap();
    assert_eq!(c.model, "gpt-4o-mini");
    assert_eq!(
        c.choices[0].message.content.as_deref(),
        Some("Paris is the capital of France.")
    );
    assert_eq!(c.choices[0].finish_reason, Some(FinishReason::Stop));

    let mut stream = client
        .chat()
        .create_stream(request("What is the capital of France?"))
        .await
        .unwrap();
    let mut text = String::new();
    let mut finish = None;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        for choice in chunk.choices {
            text.push_str(choice.delta.content.as_deref().unwrap_or_default());
            finish = finish.or(choice.finish_reason);
        }
    }
    assert_eq!(text, "Paris is the capital of France.");
    assert_eq!(finish, Some(FinishReason::Stop));

    // A blocked request is an ordinary completion to the SDK, ended by the content filter.
    let c = client
        .chat()
        .create(request("Explain zorblax"))
        .await
        .unwrap();
    assert_eq!(
        c.choices[0].finish_reason,
        Some(FinishReason::ContentFilter)
    );
    assert_eq!(
        c.choices[0].message.content.as_deref(),
        Some("Blocked by rampart.")
    );

    let m = client
        .moderations()
        .create(
            CreateModerationRequestArgs::default()
                .input("you dimwit")
                .model("omni-moderation-latest")
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(m.results[0].flagged);
    assert!(m.results[0].categories.harassment);
    assert!(m.results[0].category_scores.harassment > 0.5);

    // A wrong key surfaces as the SDK's API error carrying OpenAI's error object.
    let err = sdk(&url, "sk-wrong")
        .chat()
        .create(request("What is the capital of France?"))
        .await
        .unwrap_err();
    match err {
        OpenAIError::ApiError(e) => {
            assert_eq!(e.status_code.as_u16(), 401);
            assert_eq!(e.api_error.code.as_deref(), Some("invalid_api_key"));
            assert!(!e.api_error.message.is_empty());
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}
