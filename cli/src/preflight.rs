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
}

pub(crate) fn run(args: &PreflightArgs) -> Result<(), Failure> {
    let config = ShopsConfig::from_toml_file(&args.config).map_err(config_error)?;
    let findings = vads::preflight::preflight(&config);
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
