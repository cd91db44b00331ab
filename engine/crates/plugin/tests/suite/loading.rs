//! Loading a component: its world is found from its exports, a component in
//! the wrong slot or a file that is not a component is refused with an error
//! naming the file, and every bundled plugin passes its self-test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use tradebot_plugin::{
    LoadedComponent, PluginError, PluginHost, PluginLimits, WasmMetaAgent, WasmSizing, WasmStrategy, World,
    bundled_plugin, self_test_meta, self_test_sizing, self_test_strategy,
};

const BUNDLED: [(&str, World); 10] = [
    ("sma-cross", World::Strategy),
    ("sizing-fixed-fractional", World::SizingPolicy),
    ("sizing-kelly", World::SizingPolicy),
    ("sizing-volatility", World::SizingPolicy),
    ("meta-confidence-weighted", World::MetaAgent),
    ("meta-average", World::MetaAgent),
    ("meta-learned", World::MetaAgent),
    ("hostile-strategy", World::Strategy),
    ("hostile-sizing", World::SizingPolicy),
    ("hostile-meta", World::MetaAgent),
];

struct Loaded {
    host: PluginHost,
    components: HashMap<&'static str, LoadedComponent>,
}

fn loaded() -> &'static Loaded {
    static LOADED: OnceLock<Loaded> = OnceLock::new();
    LOADED.get_or_init(|| {
        let host = PluginHost::new(PluginLimits::default()).unwrap();
        let components = BUNDLED
            .iter()
            .map(|&(name, _)| {
                let loaded = host.load(&bundled_plugin(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
                (name, loaded)
            })
            .collect();
        Loaded { host, components }
    })
}

fn component(name: &str) -> &'static LoadedComponent {
    &loaded().components[name]
}

fn host() -> &'static PluginHost {
    &loaded().host
}

// ---- worlds -------------------------------------------------------------------

#[test]
fn every_bundled_plugin_is_found_to_target_its_world() {
    for (name, world) in BUNDLED {
        let c = component(name);
        assert_eq!(c.world, world, "{name}");
        assert_eq!(c.path, bundled_plugin(name));
        assert_eq!(c.bytes as u64, std::fs::metadata(&c.path).unwrap().len(), "{name}");
    }
}

#[test]
fn a_component_is_identified_by_the_sha256_of_its_bytes() {
    let a = component("sma-cross");
    let again = host().load(&bundled_plugin("sma-cross")).unwrap();
    assert_eq!(a.sha256, again.sha256);
    assert_eq!(a.sha256_hex().len(), 64);
    assert!(a.sha256_hex().bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    let names: std::collections::HashSet<[u8; 32]> = BUNDLED.iter().map(|(n, _)| component(n).sha256).collect();
    assert_eq!(names.len(), BUNDLED.len(), "two bundled plugins share a hash");
}

#[test]
fn a_strategy_in_the_sizing_slot_is_refused_naming_both_worlds() {
    let strategy = component("sma-cross");
    let err = WasmSizing::new(host(), strategy, "", &[]).unwrap_err();
    let PluginError::World { path, message } = &err else { panic!("{err:?}") };
    assert_eq!(path, &strategy.path);
    assert!(message.contains("strategy") && message.contains("sizing-policy"), "{message}");
    assert!(err.to_string().contains("sma_cross.wasm"), "{err}");
    assert!(err.is_bad_input());
}

#[test]
fn every_wrapper_refuses_a_component_of_another_world() {
    let sizing = component("sizing-kelly");
    let meta = component("meta-average");
    let strategy = component("sma-cross");
    let world_err = |r: Result<(), PluginError>, needs: &str, has: &str| {
        let err = r.unwrap_err();
        let PluginError::World { message, .. } = &err else { panic!("{err:?}") };
        assert!(message.contains(needs) && message.contains(has), "{message}");
    };
    world_err(WasmStrategy::new(host(), sizing, "").map(drop), "strategy", "sizing-policy");
    world_err(WasmStrategy::new(host(), meta, "").map(drop), "strategy", "meta-agent");
    world_err(WasmMetaAgent::new(host(), strategy, "", &[], &[]).map(drop), "meta-agent", "strategy");
    world_err(WasmSizing::new(host(), meta, "", &[]).map(drop), "sizing-policy", "meta-agent");
}

// ---- contract versions ------------------------------------------------------------

/// The smallest component that imports the host interface of `version`:
/// what a plugin built against that contract looks like to the loader.
fn component_importing(version: &str) -> Vec<u8> {
    wat::parse_str(format!(r#"(component (import "tradebot:plugin/host@{version}" (instance)))"#)).unwrap()
}

#[test]
fn a_component_built_against_contract_0_1_0_is_refused_naming_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.wasm");
    std::fs::write(&path, component_importing("0.1.0")).unwrap();
    let err = host().load(&path).unwrap_err();
    let PluginError::World { path: p, message } = &err else { panic!("{err:?}") };
    assert_eq!(p, &path);
    assert!(message.contains("tradebot:plugin@0.1.0") && message.contains("tradebot:plugin@0.2.0"), "{message}");
    assert!(err.is_bad_input());
    // The same shape with the current version passes the version check (and
    // then matches no world: it exports nothing).
    std::fs::write(&path, component_importing("0.2.0")).unwrap();
    let err = host().load(&path).unwrap_err();
    let PluginError::World { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("match no single world"), "{message}");
}

#[test]
fn a_sizing_policy_lists_its_reasons_and_answers_with_their_codes() {
    let symbols = [tradebot_core::Symbol::new("BTCUSDT").unwrap()];
    let s = WasmSizing::new(host(), component("sizing-kelly"), "", &symbols).unwrap();
    assert_eq!(s.reason_count(), 3);
    assert_eq!(s.reason(0), Some("no equity or no price"));
    assert_eq!(s.reason(2), Some("kelly"));
    assert_eq!(s.reason(3), None);
}

// ---- files that are not components ----------------------------------------------

fn assert_compile_error(err: PluginError, path: &Path) {
    let PluginError::Compile { path: p, .. } = &err else { panic!("{}: {err:?}", path.display()) };
    assert_eq!(p, path);
    assert!(err.to_string().contains(&path.display().to_string()), "{err}");
    assert!(err.is_bad_input());
}

#[test]
fn random_bytes_are_a_compile_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("noise.wasm");
    let mut x: u32 = 0x1234_5678;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    std::fs::write(&path, noise).unwrap();
    assert_compile_error(host().load(&path).unwrap_err(), &path);
}

#[test]
fn an_empty_file_is_a_compile_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.wasm");
    std::fs::write(&path, b"").unwrap();
    assert_compile_error(host().load(&path).unwrap_err(), &path);
}

#[test]
fn a_core_module_that_is_not_a_component_is_a_compile_error() {
    // The smallest valid core WebAssembly module: magic and version 1.
    let path = Path::new("core-module.wasm");
    let err = host().load_bytes(b"\0asm\x01\0\0\0", path).unwrap_err();
    assert_compile_error(err, path);
}

#[test]
fn a_truncated_component_is_a_compile_error() {
    let bytes = std::fs::read(bundled_plugin("sizing-kelly")).unwrap();
    let path = Path::new("truncated.wasm");
    let err = host().load_bytes(&bytes[..bytes.len() / 2], path).unwrap_err();
    assert_compile_error(err, path);
}

#[test]
fn a_missing_file_is_an_io_error_naming_the_file_and_not_the_users_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-there.wasm");
    let err = host().load(&path).unwrap_err();
    let PluginError::Io { path: p, .. } = &err else { panic!("{err:?}") };
    assert_eq!(p, &path);
    assert!(err.to_string().contains("not-there.wasm"), "{err}");
    assert!(!err.is_bad_input());
}

// ---- self-tests and init ----------------------------------------------------------

/// A config the meta-learned combiner accepts (it has no default weights).
const LEARNED: &str = r#"{"agents": ["trend", "pattern"], "w1": [[1, 0, 0, 0, 0, 1], [0, 1, 0, 1, 0, 0]],
                          "b1": [0, 0], "w2": [[1, 0], [0, 1], [1, 1]], "b2": [0, 0, 0]}"#;

#[test]
fn every_bundled_plugin_passes_its_self_test() {
    for (name, world) in BUNDLED.iter().filter(|(n, _)| !n.starts_with("hostile")) {
        let c = component(name);
        let config = if *name == "meta-learned" { LEARNED } else { "" };
        let calls = match world {
            World::Strategy => self_test_strategy(host(), c, config),
            World::SizingPolicy => self_test_sizing(host(), c, config),
            World::MetaAgent => self_test_meta(host(), c, config, &[], &[]),
        }
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(calls > 0, "{name}: the self-test made no call");
    }
}

#[test]
fn the_hostile_plugins_in_normal_mode_pass_their_self_tests_and_fail_them_when_misbehaving() {
    let normal = r#"{"mode": "ok"}"#;
    self_test_strategy(host(), component("hostile-strategy"), normal).unwrap();
    self_test_sizing(host(), component("hostile-sizing"), normal).unwrap();
    self_test_meta(host(), component("hostile-meta"), normal, &[], &[]).unwrap();
    let trap = r#"{"mode": "trap"}"#;
    for err in [
        self_test_strategy(host(), component("hostile-strategy"), trap).unwrap_err(),
        self_test_sizing(host(), component("hostile-sizing"), trap).unwrap_err(),
        self_test_meta(host(), component("hostile-meta"), trap, &[], &[]).unwrap_err(),
    ] {
        let PluginError::SelfTest { message, .. } = &err else { panic!("{err:?}") };
        assert!(message.contains("trap"), "{message}");
    }
    let err = self_test_sizing(host(), component("hostile-sizing"), r#"{"mode": "bad-stop"}"#).unwrap_err();
    assert!(err.to_string().contains("stop"), "{err}");
    let err = self_test_meta(host(), component("hostile-meta"), r#"{"mode": "sum"}"#, &[], &[]).unwrap_err();
    assert!(err.to_string().contains("invalid_output"), "{err}");
}

#[test]
fn a_strategy_asking_for_too_many_features_fails_when_built() {
    let err = WasmStrategy::new(host(), component("hostile-strategy"), r#"{"mode": "huge"}"#).unwrap_err();
    let PluginError::SelfTest { path, message } = &err else { panic!("{err:?}") };
    assert_eq!(path, &bundled_plugin("hostile-strategy"));
    assert!(message.starts_with("features"), "{message}");
}

#[test]
fn sma_cross_refuses_a_fast_average_slower_than_the_slow_one() {
    let err = WasmStrategy::new(host(), component("sma-cross"), r#"{"fast": 30, "slow": 20}"#).unwrap_err();
    let PluginError::Init { path, message } = &err else { panic!("{err:?}") };
    assert_eq!(path, &bundled_plugin("sma-cross"));
    assert!(message.contains("fast"), "{message}");
    assert!(err.to_string().contains("init refused the config"), "{err}");
}

#[test]
fn sma_cross_asks_for_the_averages_of_its_config() {
    let s = WasmStrategy::new(host(), component("sma-cross"), "").unwrap();
    assert_eq!(s.columns(), ["sma_10", "sma_20"]);
    let s = WasmStrategy::new(host(), component("sma-cross"), r#"{"fast": 5, "slow": 50}"#).unwrap();
    assert_eq!(s.columns(), ["sma_5", "sma_50"]);
    assert_eq!(s.stamp().name(), "sma-cross");
}

#[test]
fn a_config_that_is_not_json_is_refused_with_its_position() {
    let err = WasmStrategy::new(host(), component("sma-cross"), "{\"fast\": 5,\n \"slow\": }").unwrap_err();
    let PluginError::Init { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("line 2"), "{message}");
}
