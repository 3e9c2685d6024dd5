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
    if args.online {
        findings.extend(online(args)?);
    }
    let ready = vads::preflight::ready(&findings);
    if args.format == "json" {
        let json = serde_json::json!({ "ready": ready, "findings": findings });
        println!("{json}");
    } else {
        for f in &findings {
            print_finding(f);
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

/// The online findings: each shop's credentials tried with `Charge/SDKTest`.
fn online(args: &PreflightArgs) -> Result<Vec<Finding>, Failure> {
    let config = ShopsConfig::from_toml_file(&args.config).map_err(config_error)?;
    let shops = match vads::Shops::new(config) {
        Ok(shops) => shops,
        Err(e) => {
            return Ok(vec![Finding {
                code: "api_check_skipped",
                severity: Severity::Error,
                shop: None,
                message: format!("the config's shops cannot be built, so nothing was sent: {e}"),
                fix: "fix the errors above, then run vads preflight --online again",
            }])
        }
    };
    let rt = crate::api::runtime()?;
    let mut out = Vec::new();
    for name in shops.names() {
        let Some(shop) = shops.get(name) else {
            continue;
        };
        match vads::api::Client::for_shop(shop) {
            Ok(client) => out.extend(rt.block_on(vads::preflight::check_online(name, &client))),
            Err(e) => out.push(Finding {
                code: "api_check_skipped",
                severity: Severity::Error,
                shop: Some(vads::shown::shown_name(name, &[])),
                message: format!("the credential check cannot be made: {e}"),
                fix: "set the REST password of the shop's mode and the API host (api_url or brand)",
            }),
        }
    }
    Ok(out)
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
