//! Building SDK clients from the standard credential chain and region settings.
//!
//! `AWS_ENDPOINT_URL` and the per-service `AWS_ENDPOINT_URL_<SERVICE>` variables are honoured by
//! aws-config itself; that is how tests point the real SDK at moto.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;

use super::CallLog;

/// Where and as whom to call AWS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SdkSettings {
    /// Region; None: from the environment or profile.
    pub region: Option<String>,
    /// Named profile; None: the default chain (env keys, AWS_PROFILE, SSO, roles, IMDS).
    pub profile: Option<String>,
}

/// The clients one region's sync uses.
#[derive(Debug, Clone)]
pub struct AwsClients {
    /// The region these clients call.
    pub region: String,
    /// ECS.
    pub ecs: aws_sdk_ecs::Client,
    /// Application Auto Scaling.
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    /// CloudWatch.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// Cost Explorer (always us-east-1, its only endpoint).
    pub costexplorer: aws_sdk_costexplorer::Client,
    /// STS, for the credentials check before a sync writes anything.
    pub sts: aws_sdk_sts::Client,
}

/// Attempts at the credentials check (sts:GetCallerIdentity) before it gives up.
const CHECK_ATTEMPTS: u32 = 2;

/// How a sync retries: throttled and transient answers are tried again with exponential, jittered
/// back-off (standard mode, 8 attempts, from 0.5 s).
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(8)
        .with_initial_backoff(Duration::from_millis(500))
}

/// Loads the SDK configuration with [`retry_config`].
pub async fn load_sdk_config(settings: &SdkSettings) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(retry_config());
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    loader.load().await
}

impl AwsClients {
    /// Builds every client from one SDK configuration; each reports its retries to `log`.
    pub fn new(config: &SdkConfig, log: &CallLog) -> Self {
        Self::with_interceptor(config, log, None)
    }

    /// [`AwsClients::new`] with one more interceptor on every client: a test's canned answers
    /// (throttling, say) in front of a real server.
    pub fn with_interceptor(
        config: &SdkConfig,
        log: &CallLog,
        extra: Option<SharedInterceptor>,
    ) -> Self {
        let mut interceptors = vec![SharedInterceptor::new(log.retries().clone())];
        interceptors.extend(extra);
        let ce_config = aws_sdk_costexplorer::config::Builder::from(config)
            .region(Region::from_static("us-east-1"));
        // The credentials check is the first call: when AWS cannot be reached, say so within
        // seconds rather than after eight attempts with backoff (half a minute).
        let sts_config = aws_sdk_sts::config::Builder::from(config)
            .retry_config(RetryConfig::standard().with_max_attempts(CHECK_ATTEMPTS));
        Self {
            region: config
                .region()
                .map(|r| r.to_string())
                .unwrap_or_else(|| "us-east-1".into()),
            ecs: aws_sdk_ecs::Client::from_conf(
                with_all(
                    aws_sdk_ecs::config::Builder::from(config),
                    &interceptors,
                    aws_sdk_ecs::config::Builder::push_interceptor,
                )
                .build(),
            ),
            autoscaling: aws_sdk_applicationautoscaling::Client::from_conf(
                with_all(
                    aws_sdk_applicationautoscaling::config::Builder::from(config),
                    &interceptors,
                    aws_sdk_applicationautoscaling::config::Builder::push_interceptor,
                )
                .build(),
            ),
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
                with_all(
                    aws_sdk_cloudwatch::config::Builder::from(config),
                    &interceptors,
                    aws_sdk_cloudwatch::config::Builder::push_interceptor,
                )
                .build(),
            ),
            costexplorer: aws_sdk_costexplorer::Client::from_conf(
                with_all(
                    ce_config,
                    &interceptors,
                    aws_sdk_costexplorer::config::Builder::push_interceptor,
                )
                .build(),
            ),
            sts: aws_sdk_sts::Client::from_conf(
                with_all(
                    sts_config,
                    &interceptors,
                    aws_sdk_sts::config::Builder::push_interceptor,
                )
                .build(),
            ),
        }
    }
}

/// Pushes every interceptor onto one service's config builder (each SDK crate has its own type).
fn with_all<B>(
    mut builder: B,
    interceptors: &[SharedInterceptor],
    push: impl Fn(&mut B, SharedInterceptor) -> &mut B,
) -> B {
    for i in interceptors {
        push(&mut builder, i.clone());
    }
    builder
}
