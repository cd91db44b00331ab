//! A strategy that behaves like "always long" until `after` calls, then
//! misbehaves as `mode` says. `file`/`net`/`clock` try to reach outside the
//! sandbox and go long with confidence 1 only if that worked (the tests
//! assert it never does).

use std::cell::Cell;
use std::hint::black_box;

use serde::Deserialize;
use tradebot_plugin_sdk::strategy::{About, Candle, Direction, Guest, Level, Signal, log};

#[derive(Deserialize, Default, Clone)]
#[serde(default, deny_unknown_fields)]
struct Config {
    mode: String,
    after: u64,
    /// Misbehave in `init` already.
    in_init: bool,
}

thread_local! {
    static MODE: std::cell::RefCell<Config> = std::cell::RefCell::new(Config::default());
    static CALLS: Cell<u64> = const { Cell::new(0) };
}

fn misbehave(mode: &str) -> Option<Signal> {
    match mode {
        "loop" => {
            let mut i: u64 = 0;
            loop {
                i = black_box(i.wrapping_add(1));
            }
        }
        "oom" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 1 << 20]);
                black_box(&hoard);
            }
        }
        "trap" => panic!("hostile strategy: deliberate panic"),
        "nan" => Some(Signal { target: Some(Direction::Long), confidence: f64::NAN }),
        "inf" => Some(Signal { target: Some(Direction::Long), confidence: f64::INFINITY }),
        "negative" => Some(Signal { target: Some(Direction::Long), confidence: -1.0 }),
        "file" => {
            for path in ["/etc/passwd", ".", "/", "Cargo.toml"] {
                match std::fs::read(path) {
                    Ok(_) => return Some(Signal { target: Some(Direction::Long), confidence: 1.0 }),
                    Err(e) => log(Level::Warn, &format!("open {path}: {e}")),
                }
            }
            None
        }
        "net" => match std::net::TcpStream::connect("127.0.0.1:9") {
            Ok(_) => Some(Signal { target: Some(Direction::Long), confidence: 1.0 }),
            Err(e) => {
                log(Level::Warn, &format!("connect: {e}"));
                None
            }
        },
        "clock" => {
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            log(Level::Info, &format!("clock says {now}"));
            // Any real clock is well past 2001.
            (now > 1_000_000_000).then_some(Signal { target: Some(Direction::Long), confidence: 1.0 })
        }
        _ => None,
    }
}

struct Hostile;

impl Guest for Hostile {
    fn init(config: String) -> Result<(), String> {
        let c: Config = tradebot_plugin_sdk::config::parse(&config)?;
        if c.in_init {
            misbehave(&c.mode);
        }
        MODE.set(c);
        Ok(())
    }

    fn about() -> About {
        tradebot_plugin_sdk::about!(strategy)
    }

    fn features() -> Vec<String> {
        let c = MODE.with_borrow(Clone::clone);
        if c.mode == "huge" {
            return (0..100_000).map(|i| format!("sma_{i}")).collect();
        }
        Vec::new()
    }

    fn on_bar(_bar: Candle, _features: Vec<f64>) -> Signal {
        let calls = CALLS.get() + 1;
        CALLS.set(calls);
        let c = MODE.with_borrow(Clone::clone);
        if calls > c.after
            && let Some(s) = misbehave(&c.mode)
        {
            return s;
        }
        Signal { target: Some(Direction::Long), confidence: 1.0 }
    }
}

tradebot_plugin_sdk::strategy::export_strategy!(Hostile);
