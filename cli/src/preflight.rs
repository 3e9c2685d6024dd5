//! `vads preflight`: the go-live findings of a config, as text or JSON.

use crate::common::{config_error, Failure};
use clap::Args;
use std::path::PathBuf;
use vads::preflight::{Finding, Severity};
use vads::ShopsConfig;

#[derive(Args)]
pub(crate) struct PreflightArgs {
    /// The shop's (or shops') TOML configuration.
    #[arg(long, value_name = "PATH")]
    config: PathBuf,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    format: String,
    /// Also call the platform (Charge/SDKTest) with each shop's credentials of its mode:
    /// the credential check. Without it, nothing is sent.
    #[arg(long)]
    online: bool,
}

pub(crate) fn run(args: &PreflightArgs) -> Result<(), Failure> {
    let config = ShopsConfig::from_toml_file(&args.config).map_err(config_error)?;
    let mut findings = vads::preflight::preflight(&config);
    let mut checked = Vec::new();
    if args.online {
        let (found, passed) = online(args)?;
        findings.extend(found);
        checked = passed;
    }
    let ready = vads::preflight::ready(&findings);
    if args.format == "json" {
        let mut json = serde_json::json!({ "ready": ready, "findings": findings });
        if args.online {
            json["checked_online"] = serde_json::Value::from(
                checked
                    .iter()
                    .map(|c: &Checked| {
                        serde_json::json!({"shop": c.shop, "mode": c.mode, "api_url": c.api_url, "check": "Charge/SDKTest", "result": "accepted"})
                    })
                    .collect::<Vec<_>>(),
            );
        }
        println!("{json}");
    } else {
        for f in &findings {
            print_finding(f);
        }
        // What the online check did, when it passed: said, not silent.
        for c in &checked {
            println!(
                "online: [{}] Charge/SDKTest with the {} REST password at {}: accepted (the shop id, the password and the API host work)",
                c.shop, c.mode, c.api_url
            );
        }
        let errors = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        let warnings = findings.len() - errors;
        if ready {
            println!("ready to go live ({warnings} warning(s))");
        } else {
            println!("NOT ready to go live: {errors} error(s), {warnings} warning(s)");
        }
    }
    if ready {
        Ok(())
    } else {
        Err(Failure {
            status: 1,
            message: "not_ready: the config has error-level findings".into(),
        })
    }
}

/// A credential check that passed: which shop, with which mode's password, at which host.
struct Checked {
    shop: String,
    mode: &'static str,
    api_url: String,
}

/// The online findings (each shop's credentials tried with `Charge/SDKTest`), and the
/// checks that passed.
fn online(args: &PreflightArgs) -> Result<(Vec<Finding>, Vec<Checked>), Failure> {
    let config = ShopsConfig::from_toml_file(&args.config).map_err(config_error)?;
    let shops = match vads::Shops::new(config) {
        Ok(shops) => shops,
        Err(e) => {
            return Ok((
                vec![Finding {
                    code: "api_check_skipped",
                    severity: Severity::Error,
                    shop: None,
                    message: format!(
                        "the config's shops cannot be built, so nothing was sent: {e}"
                    ),
                    fix: "fix the errors above, then run vads preflight --online again",
                }],
                Vec::new(),
            ))
        }
    };
    let rt = crate::api::runtime()?;
    let mut out = Vec::new();
    let mut passed = Vec::new();
    for name in shops.names() {
        let Some(shop) = shops.get(name) else {
            continue;
        };
        match vads::api::Client::for_shop(shop) {
            Ok(client) => match rt.block_on(vads::preflight::check_online(name, &client)) {
                Some(finding) => out.push(finding),
                None => passed.push(Checked {
                    shop: vads::shown::shown_name(name, &[]),
                    mode: shop.mode().as_str(),
                    api_url: client.credentials().api_url().to_owned(),
                }),
            },
            Err(e) => out.push(Finding {
                code: "api_check_skipped",
                severity: Severity::Error,
                shop: Some(vads::shown::shown_name(name, &[])),
                message: format!("the credential check cannot be made: {e}"),
                fix: "set the REST password of the shop's mode and the API host (api_url or brand)",
            }),
        }
    }
    Ok((out, passed))
}

pub(crate) fn print_finding(f: &Finding) {
    let level = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let shop = f
        .shop
        .as_deref()
        .map(|s| format!("[{s}] "))
        .unwrap_or_default();
    println!("{level}: {shop}{}: {}\n  fix: {}", f.code, f.message, f.fix);
}
