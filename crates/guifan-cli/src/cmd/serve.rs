//! `guifan serve`: decide records over HTTP, reloading the rules as they change.

use guifan::clip::printable;

use super::error;
use crate::args::ServeArgs;
use crate::{errln, Exit};

/// Serves until SIGTERM or SIGINT; a rule directory that does not load at
/// start is a check failure.
pub(crate) fn serve(args: ServeArgs) -> Exit {
    let mut config = guifan_serve::Config::new(args.rules, args.listen);
    config.decision_log = args.decision_log;
    config.max_body = args.max_body;
    config.timeout = std::time::Duration::from_millis(args.timeout_ms.max(1));
    config.watch_every = std::time::Duration::from_millis(args.watch_ms.max(10));
    config.settle = std::time::Duration::from_millis(args.settle_ms);
    config.header_timeout = std::time::Duration::from_millis(args.header_timeout_ms.max(1));
    config.max_connections = args.max_connections.max(1);
    config.max_in_flight = args.max_in_flight.max(1);
    config.shutdown_grace = std::time::Duration::from_millis(args.shutdown_grace_ms);
    config.token_for_metrics = args.token_for_metrics;
    config.tls = args.tls_cert.zip(args.tls_key);
    if let Some(dir) = args.playground {
        if !dir.join("index.html").is_file() || !dir.join("guifan_wasm_bg.wasm").is_file() {
            return error(format!(
                "`{}` holds no built playground: build it with playground/build.sh",
                dir.display()
            ));
        }
        config.playground = Some(dir);
    }
    if let Some(path) = &args.params.file {
        config.params = match guifan::Params::from_file(path) {
            Ok(p) => p,
            Err(e) => return super::params_failure(&e, guifan::report::ReportFormat::Human),
        };
    }
    config.token = match (&args.token_file, std::env::var("GUIFAN_SERVE_TOKEN")) {
        (Some(path), _) => match guifan::read_rule_file(path) {
            Ok(read) if read.bad_byte.is_none() => Some(read.text.trim().to_string()),
            Ok(_) => return error(format!("the token file `{}` is not UTF-8", path.display())),
            Err(e) => {
                return error(format!(
                    "cannot read the token file `{}`: {e}",
                    path.display()
                ))
            }
        },
        (None, Ok(token)) => Some(token.trim().to_string()),
        (None, Err(_)) => None,
    };
    if args.token_for_metrics && config.token.is_none() {
        return error("--token-for-metrics needs a token: --token-file or GUIFAN_SERVE_TOKEN");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return error(format!("cannot start the server's threads: {e}")),
    };
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let playground = config.playground.is_some();
    let served = runtime.block_on(guifan_serve::serve(config, |addr| {
        errln!("guifan serve: listening on {scheme}://{addr}");
        if playground {
            errln!("guifan serve: the playground is at {scheme}://{addr}/playground/");
        }
    }));
    match served {
        Ok(()) => Exit::Ok,
        Err(guifan_serve::ServeError::Rules(e)) => {
            errln!("error: {}", printable(&e.to_string()));
            Exit::CheckFailed
        }
        Err(e) => error(e),
    }
}
