//! `vads preflight`: the go-live findings of a config, as text or JSON.

use crate::common::{config_error, Failure};
use clap::Args;
use std::path::PathBuf;
use vads::preflight::{Finding, Severity};
use vads::ShopsConfig;

/// A shop's channels and their modes (`None`: off).
type ChannelList = [(vads::Channel, Option<vads::Mode>); 4];

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
    // Each shop's channels and their modes.
    let channels: Vec<(String, ChannelList)> = config
        .shops
        .iter()
        .map(|(name, c)| {
            (
                vads::shown::shown_name(name, &[]),
                vads::preflight::channel_modes(c),
            )
        })
        .collect();
    let mode_name = |m: Option<vads::Mode>| m.map_or("off", vads::Mode::as_str);
    if args.format == "json" {
        let channels: serde_json::Map<String, serde_json::Value> = channels
            .iter()
            .map(|(shop, modes)| {
                let modes: serde_json::Map<String, serde_json::Value> = modes
                    .iter()
                    .map(|(ch, m)| (ch.as_str().to_owned(), mode_name(*m).into()))
                    .collect();
                (shop.clone(), modes.into())
            })
            .collect();
        let mut json =
            serde_json::json!({ "ready": ready, "findings": findings, "channels": channels });
        if args.online {
            json["checked_online"] = serde_json::Value::from(
                checked
                    .iter()
                    .map(|c: &Checked| {
                        serde_json::json!({"shop": c.shop, "mode": c.mode, "channels": c.channels, "api_url": c.api_url, "check": "Charge/SDKTest", "result": "accepted"})
                    })
                    .collect::<Vec<_>>(),
            );
        }
        println!("{json}");
    } else {
        for (shop, modes) in &channels {
            let list: Vec<String> = modes
                .iter()
                .map(|(ch, m)| format!("{ch}={}", mode_name(*m)))
                .collect();
            println!("channels: [{shop}] {}", list.join(" "));
        }
        for f in &findings {
            print_finding(f);
        }
        // What the online check did, when it passed: said, not silent.
        for c in &checked {
            println!(
                "online: [{}] Charge/SDKTest with the {} REST password at {}: accepted (the shop id, the password and the API host work; channels {})",
                c.shop, c.mode, c.api_url, c.channels.join(", ")
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
    /// The live channels of that mode.
    channels: Vec<&'static str>,
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
        // One check per mode a live channel uses: the website's, and the other mode when
        // a channel is live there (merchant-initiated charges need its password; MOTO and
        // the call centre only when one is configured).
        let modes = match shop.mode() {
            vads::Mode::Test => [vads::Mode::Test, vads::Mode::Production],
            vads::Mode::Production => [vads::Mode::Production, vads::Mode::Test],
        };
        for mode in modes {
            let live: Vec<vads::Channel> = vads::Channel::ALL
                .into_iter()
                .filter(|ch| shop.channel_mode(*ch) == Some(mode))
                .collect();
            let Some(first) = live.first().copied() else {
                continue;
            };
            let needs_api = live.iter().any(|ch| {
                matches!(
                    ch,
                    vads::Channel::Website | vads::Channel::MerchantInitiated
                )
            });
            let client = match vads::api::Client::for_channel(
                shop,
                first,
                vads::api::ClientConfig::default(),
            ) {
                Ok(client) => client,
                Err(_) if !needs_api => continue,
                Err(e) => {
                    out.push(Finding {
                        code: "api_check_skipped",
                        severity: Severity::Error,
                        shop: Some(vads::shown::shown_name(name, &[])),
                        message: format!("the {mode} credential check cannot be made: {e}"),
                        fix:
                            "set the REST password of the mode and the API host (api_url or brand)",
                    });
                    continue;
                }
            };
            match rt.block_on(vads::preflight::check_online(name, &client)) {
                Some(finding) => out.push(finding),
                None => passed.push(Checked {
                    shop: vads::shown::shown_name(name, &[]),
                    mode: mode.as_str(),
                    channels: live.iter().map(|c| c.as_str()).collect(),
                    api_url: client.credentials().api_url().to_owned(),
                }),
            }
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
