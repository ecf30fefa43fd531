//! Building SDK clients from the standard credential chain and region settings.
//!
//! `AWS_ENDPOINT_URL` and the per-service `AWS_ENDPOINT_URL_<SERVICE>` variables are honoured by
//! aws-config itself; that is how tests point the real SDK at moto.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

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

/// Loads the SDK configuration: retries with backoff on throttling (standard mode, 8 attempts).
pub async fn load_sdk_config(settings: &SdkSettings) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(
        RetryConfig::standard()
            .with_max_attempts(8)
            .with_initial_backoff(Duration::from_millis(500)),
    );
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    loader.load().await
}

impl AwsClients {
    /// Builds every client from one SDK configuration.
    pub fn new(config: &SdkConfig) -> Self {
        let ce_config = aws_sdk_costexplorer::config::Builder::from(config)
            .region(Region::from_static("us-east-1"))
            .build();
        // The credentials check is the first call: when AWS cannot be reached, say so within
        // seconds rather than after eight attempts with backoff (half a minute).
        let sts_config = aws_sdk_sts::config::Builder::from(config)
            .retry_config(RetryConfig::standard().with_max_attempts(CHECK_ATTEMPTS))
            .build();
        Self {
            region: config
                .region()
                .map(|r| r.to_string())
                .unwrap_or_else(|| "us-east-1".into()),
            ecs: aws_sdk_ecs::Client::new(config),
            autoscaling: aws_sdk_applicationautoscaling::Client::new(config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(config),
            costexplorer: aws_sdk_costexplorer::Client::from_conf(ce_config),
            sts: aws_sdk_sts::Client::from_conf(sts_config),
        }
    }
}
