//! Which stored services an inventory proves deleted in AWS. Only what was listed completely
//! counts: a cluster whose listing failed, or one outside a `--cluster` filter or another region,
//! says nothing about its services.

use app::store::services::StoredService;

use crate::collectors::ecs::Listing;

/// Ids of the stored services, not yet marked removed, that `listing` proves gone: in a cluster it
/// listed completely but not among that cluster's services, or in a cluster of its region that is
/// no longer there when every cluster of the region was listed.
pub fn gone(stored: &[StoredService], listing: &Listing) -> Vec<i64> {
    stored
        .iter()
        .filter(|s| !s.is_removed() && s.service.region == listing.region)
        .filter(|s| match listing.clusters.get(&s.service.cluster) {
            Some(existing) => !existing.contains(&s.service.name),
            None => listing.every_cluster,
        })
        .map(|s| s.id)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use app::domain::fargate::{Architecture, TaskSize};
    use app::store::services::ServiceRecord;

    use super::*;

    fn stored(id: i64, region: &str, cluster: &str, name: &str) -> StoredService {
        StoredService {
            id,
            updated_at: 0,
            last_seen: 0,
            removed_at: None,
            service: ServiceRecord {
                region: region.into(),
                cluster: cluster.into(),
                name: name.into(),
                arn: None,
                launch_type: None,
                architecture: Architecture::X86_64,
                task_definition: None,
                size: TaskSize::new(512, 1024),
                desired_count: 1,
                running_count: 1,
                scaling_min: None,
                scaling_max: None,
                strategy: vec![],
                policies: vec![],
                target_groups: vec![],
            },
        }
    }

    fn listing(every_cluster: bool, clusters: &[(&str, &[&str])]) -> Listing {
        Listing {
            region: "us-east-1".into(),
            every_cluster,
            clusters: clusters
                .iter()
                .map(|(c, names)| {
                    let names: BTreeSet<String> = names.iter().map(|n| n.to_string()).collect();
                    (c.to_string(), names)
                })
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn a_service_missing_from_a_listed_cluster_is_gone() {
        let stored = [
            stored(1, "us-east-1", "prod", "web"),
            stored(2, "us-east-1", "prod", "worker"),
        ];
        assert_eq!(gone(&stored, &listing(true, &[("prod", &["web"])])), [2]);
        assert!(gone(&stored, &listing(true, &[("prod", &["web", "worker"])])).is_empty());
    }

    #[test]
    fn a_cluster_not_listed_under_a_cluster_filter_says_nothing() {
        let stored = [
            stored(1, "us-east-1", "prod", "web"),
            stored(2, "us-east-1", "staging", "web"),
        ];
        // `--cluster prod`: staging was not looked at.
        assert!(gone(&stored, &listing(false, &[("prod", &["web"])])).is_empty());
    }

    #[test]
    fn a_cluster_gone_from_a_complete_region_listing_takes_its_services() {
        let stored = [
            stored(1, "us-east-1", "prod", "web"),
            stored(2, "us-east-1", "old", "api"),
        ];
        assert_eq!(gone(&stored, &listing(true, &[("prod", &["web"])])), [2]);
    }

    #[test]
    fn other_regions_are_never_touched() {
        let stored = [stored(1, "eu-west-1", "prod", "web")];
        assert!(gone(&stored, &listing(true, &[("prod", &[])])).is_empty());
        assert!(gone(&stored, &listing(true, &[])).is_empty());
    }

    #[test]
    fn a_service_already_removed_keeps_its_first_removal() {
        let mut old = stored(1, "us-east-1", "prod", "web");
        old.removed_at = Some(100);
        assert!(gone(&[old], &listing(true, &[("prod", &[])])).is_empty());
    }

    #[test]
    fn an_empty_listed_cluster_removes_every_service_in_it() {
        let stored = [
            stored(1, "us-east-1", "prod", "web"),
            stored(2, "us-east-1", "prod", "worker"),
        ];
        assert_eq!(gone(&stored, &listing(false, &[("prod", &[])])), [1, 2]);
    }
}
