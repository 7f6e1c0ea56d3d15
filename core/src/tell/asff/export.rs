//! The export check's findings.

use std::collections::BTreeMap;

use crate::export::outcome::ExportReport;
use crate::severity::Severity;
use crate::text::safe;

use super::*;

/// The export check's findings (warning and critical; info ones are no problem), and the
/// prefix under which every Region checked resolves what it no longer finds.
pub fn export_sync(r: &ExportReport) -> HubSync {
    let mut sync = HubSync::default();
    for region in &r.regions {
        let prefix = format!("{ID_PREFIX}export/{}/{}/", r.account, region.region);
        for f in &region.findings {
            if f.severity < Severity::Warning {
                continue;
            }
            let mut fields = BTreeMap::from([
                ("macie-guard/code".to_string(), f.code.to_string()),
                (
                    "macie-guard/severity".to_string(),
                    f.severity.as_str().to_string(),
                ),
            ]);
            if let Some(st) = &f.statement {
                fields.insert(
                    "macie-guard/statement".into(),
                    cut(&st.to_string(), FIELD_MAX),
                );
            }
            let recommendation = match &f.statement {
                Some(_) => format!(
                    "{} The statement to add is in the product field macie-guard/statement.",
                    safe(&f.fix)
                ),
                None => safe(&f.fix),
            };
            sync.findings.push(HubFinding {
                id: format!("{prefix}{}", f.code),
                generator_id: format!("{ID_PREFIX}{}", f.code),
                account: r.account.clone(),
                region: region.region.clone(),
                types: vec![
                    "Software and Configuration Checks/AWS Security Best Practices/Macie discovery results".into(),
                ],
                severity: f.severity.security_hub_label().into(),
                title: cut(
                    &format!("Macie discovery results in {}: {}", region.region, f.code),
                    TITLE_MAX,
                ),
                description: cut(&safe(&f.message), DESCRIPTION_MAX),
                resources: vec![resource_of(&f.resource)],
                recommendation: cut(&recommendation, RECOMMENDATION_MAX),
                product_fields: fields,
                created_at: None,
                record: RecordState::Active,
                workflow: None,
            });
        }
        sync.resolve_under.push(prefix);
    }
    sync
}
