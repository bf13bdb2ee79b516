//! Tests of config loading: the shipped and seed files, defaults, and every error message byte for byte.

use super::*;
use std::time::Duration;

const ORIGINAL: &str = include_str!("../../tests/fixtures/original-example.toml");
const SHIPPED: &str = include_str!("../../config/rand-guard.toml");
const FILE: &str = "/etc/rand-guard.toml";

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_str(text, Path::new(FILE))
}

fn err(text: &str) -> String {
    match load(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => {
            assert_eq!(e.exit_code(), 2);
            e.to_string()
        }
    }
}

#[test]
fn original_example_loads_unchanged() {
    let c = load(ORIGINAL).unwrap();
    assert_eq!(c.agent.id, "dev-host-001");
    assert_eq!(c.agent.mode, AgentMode::Monitor);
    assert_eq!(c.agent.log_level, LogLevel::Info);
    assert_eq!(c.ebpf.ring_buffer_bytes, 8 << 20);
    assert!(c.process.enabled);
    use ProcessHook as P;
    assert_eq!(c.process.hooks, [P::Execve, P::Execveat, P::Fork, P::Exit]);
    assert!(!c.file.enabled, "events.file = false");
    assert_eq!(c.file.hooks.len(), 7);
    assert_eq!(c.file.filter.watch_paths(), ["/etc", "/usr/bin", "/bin"]);
    assert!(c.file.filter.matches("/etc/systemd/system/x.service"));
    assert!(!c.file.filter.matches("/tmp/x.service"));
    assert!(!c.network.enabled);
    assert_eq!(c.network.hooks, [NetHook::Connect]);
    assert_eq!(c.output.sink, OutputSink::Stdout);
    assert_eq!(c.performance.max_events_per_second, 5000);
    assert_eq!(c.performance.max_process_cache_entries, 5000);
    assert_eq!(&*c.text, ORIGINAL);
    assert_eq!(c.path, Path::new(FILE));
    // collect_args, collect_cwd = false and max_pending_exec_sources.
    assert_eq!(c.warnings.len(), 3, "{:#?}", c.warnings);
    assert!(c.warnings[0].starts_with("/etc/rand-guard.toml:18:16: process.collect_args"));
    assert!(c.warnings.iter().all(|w| w.contains("no effect")));
}

#[test]
fn shipped_config_is_the_default_and_names_every_key() {
    let shipped = load(SHIPPED).unwrap();
    let default = Config::default_config();
    assert!(shipped.warnings.is_empty(), "{:#?}", shipped.warnings);
    assert_eq!(shipped.agent, default.agent);
    assert_eq!(shipped.ebpf, default.ebpf);
    assert_eq!(shipped.process, default.process);
    assert_eq!(shipped.file, default.file);
    assert_eq!(shipped.network, default.network);
    assert_eq!(shipped.output, default.output);
    assert_eq!(shipped.performance, default.performance);
    assert_eq!(shipped.ui, default.ui);
    assert_eq!(shipped.response, default.response);
    // Seed-format keys without effect load (with a warning) but are not shipped.
    const NOT_SHIPPED: &[&str] = &["performance.max_pending_exec_sources"];
    for (section, keys) in raw::sections() {
        assert!(SHIPPED.contains(&format!("[{section}]\n")), "[{section}]");
        for key in keys {
            let present = SHIPPED.lines().any(|l| {
                let l = l.trim_start_matches("# ");
                l.starts_with(&format!("{key} = "))
            });
            let shipped = !NOT_SHIPPED.contains(&format!("{section}.{key}").as_str());
            assert_eq!(present, shipped, "{section}.{key}: in the shipped config is {present}");
        }
    }
    assert!(SHIPPED.contains("set both [events].network and [network].enabled to enable"));
}

#[test]
fn defaults() {
    let c = Config::default_config();
    assert!(!c.agent.id.is_empty());
    assert_eq!(c.agent.mode, AgentMode::Monitor);
    assert_eq!(c.agent.log_level, LogLevel::Info);
    assert_eq!(c.ebpf.ring_buffer_bytes, 8 << 20);
    assert!(c.process.enabled && c.file.enabled && !c.network.enabled);
    assert_eq!(c.process.hooks, ProcessHook::ALL);
    assert_eq!(c.file.hooks, FileHook::ALL);
    assert_eq!(c.network.hooks, NetHook::ALL);
    assert_eq!(c.file.filter.watch_paths(), defaults::WATCH_PATHS);
    assert_eq!(c.file.filter.watch_patterns(), defaults::WATCH_PATTERNS);
    assert_eq!(c.file.filter.exclude_paths(), defaults::EXCLUDE_PATHS);
    assert_eq!(c.output.sink, OutputSink::Stdout);
    assert_eq!(c.output.health_interval, Duration::from_secs(30));
    assert_eq!(
        c.performance,
        Performance {
            max_events_per_second: 0,
            drop_when_full: false,
            max_process_cache_entries: 16_384,
            max_process_cache_bytes: 2 * 1024 * 1024,
            channel_capacity: 4096,
        }
    );
    assert!(c.warnings.is_empty());
    assert_eq!(&*c.text, "");
    // Empty file == default.
    let empty = load("").unwrap();
    assert_eq!(empty.file, c.file);
    assert_eq!(empty.performance, c.performance);
}

#[test]
fn network_needs_both_switches() {
    let cases = [
        ("", false),
        ("[events]\nnetwork = true\n", false),
        ("[network]\nenabled = true\n", false),
        ("[events]\nnetwork = true\n[network]\nenabled = true\n", true),
    ];
    for (text, want) in cases {
        assert_eq!(load(text).unwrap().network.enabled, want, "{text}");
    }
    assert!(!load("[process]\nenabled = false\n").unwrap().process.enabled);
    assert!(!load("[events]\nprocess = false\n").unwrap().process.enabled);
}

#[test]
fn buffer_size_rounding() {
    let cases: &[(i64, u32)] = &[
        (64, 64 << 10),
        (65, 128 << 10),
        (100, 128 << 10),
        (8192, 8 << 20),
        (8193, 16 << 20),
        (1_000_000, 1 << 30),
        (1_048_576, 1 << 30),
    ];
    for &(kib, bytes) in cases {
        let c = load(&format!("[ebpf]\nbuffer_size = {kib}\n")).unwrap();
        assert_eq!(c.ebpf.ring_buffer_bytes, bytes, "{kib} KiB");
    }
    for kib in [0, 63, -1, 1_048_577, i64::MAX] {
        let e = err(&format!("[ebpf]\nbuffer_size = {kib}\n"));
        assert_eq!(
            e,
            format!(
                "{FILE}:2:15: ebpf.buffer_size: must be between 64 and 1048576 (KiB, 64 KiB to 1 GiB), found {kib}"
            )
        );
    }
}

#[test]
fn hooks_lists() {
    let c = load("[file]\nhooks = [\"unlink\", \"open\", \"open\"]\n").unwrap();
    assert_eq!(c.file.hooks, [FileHook::Open, FileHook::Unlink]);
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].starts_with(&format!("{FILE}:2:28: file.hooks[2] repeats")));
}

#[test]
fn output_variants() {
    let c = load("[output]\ntype = \"file\"\npath = \"/var/log/rg.ndjson\"\nhealth_interval_secs = 5\n").unwrap();
    assert_eq!(c.output.sink, OutputSink::File(PathBuf::from("/var/log/rg.ndjson")));
    assert_eq!(c.output.health_interval, Duration::from_secs(5));
    let c = load("[output]\npath = \"/x\"\n").unwrap();
    assert_eq!(c.output.sink, OutputSink::Stdout);
    assert_eq!(c.warnings.len(), 1);
}

#[test]
fn outputs_and_metrics() {
    let c = load("").unwrap();
    assert_eq!(c.outputs.len(), 1);
    assert_eq!(c.outputs[0].sink, SinkSpec::Stdout);
    assert_eq!(c.outputs[0].name, "stdout");
    assert_eq!(c.metrics, None);
    let c = load("[output]\ntype = \"file\"\npath = \"/x.ndjson\"\n").unwrap();
    assert_eq!(c.outputs[0].sink, SinkSpec::File(FileSpec { path: PathBuf::from("/x.ndjson"), max_bytes: 0, keep: 5 }));
    let text = r#"
[metrics]
listen = "127.0.0.1:9464"

[[outputs]]
type = "stdout"

[[outputs]]
type = "file"
path = "/var/log/rand-guard/events.ndjson"
max_bytes = 1000
keep = 3

[[outputs]]
type = "syslog"
transport = "tcp"
address = "127.0.0.1:514"
facility = "local3"
records = "alerts"
min_severity = "high"
health = false

[[outputs]]
name = "elastic"
type = "http"
url = "http://127.0.0.1:9200/_bulk"
format = "elasticsearch"
authorization = "ApiKey abc"
gzip = false
batch_max_records = 10
"#;
    let c = load(text).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(c.metrics, Some("127.0.0.1:9464".parse().unwrap()));
    let names: Vec<_> = c.outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["stdout", "file-1", "syslog-2", "elastic"]);
    assert_eq!(
        c.outputs[1].sink,
        SinkSpec::File(FileSpec { path: "/var/log/rand-guard/events.ndjson".into(), max_bytes: 1000, keep: 3 })
    );
    let SinkSpec::Syslog(sys) = &c.outputs[2].sink else { panic!("syslog") };
    assert_eq!((sys.facility, &sys.transport), (19, &SyslogTransport::Tcp("127.0.0.1:514".into())));
    assert_eq!(c.outputs[2].filter.records, RecordKinds::Alerts);
    assert!(!c.outputs[2].filter.health);
    let SinkSpec::Http(h) = &c.outputs[3].sink else { panic!("http") };
    assert_eq!((h.authority.as_str(), h.target.as_str()), ("127.0.0.1:9200", "/_bulk"));
    assert_eq!(h.format, HttpFormat::Elasticsearch);
    assert_eq!(h.authorization.as_deref(), Some("ApiKey abc"));
    assert!(!h.gzip);
    assert_eq!(h.batch_max_records, 10);
    let h = load("[[outputs]]\ntype = \"http\"\nurl = \"http://collector\"\n").unwrap();
    let SinkSpec::Http(h) = &h.outputs[0].sink else { panic!("http") };
    assert_eq!((h.authority.as_str(), h.target.as_str()), ("collector:80", "/"));
    // [[outputs]] replaces [output].type, with a warning.
    let c = load("[output]\ntype = \"stdout\"\n[[outputs]]\ntype = \"file\"\npath = \"/a\"\n").unwrap();
    assert_eq!(c.outputs.len(), 1);
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].starts_with(&format!("{FILE}:2:8: output.type/path is ignored")));
    let c = load("[metrics]\nlisten = \"0.0.0.0:9464\"\n").unwrap();
    assert!(c.warnings[0].contains("beyond this host"), "{:?}", c.warnings);
}

#[test]
fn ui_settings() {
    let c = load("").unwrap();
    assert_eq!(c.ui, UiSettings::default());
    assert_eq!(c.ui.listen, None, "the dashboard is off by default");
    assert_eq!((c.ui.history, c.ui.max_clients, c.ui.client_buffer), (5000, 8, 4096));
    let text = "[ui]\nlisten = \"127.0.0.1:9300\"\ntoken = \"0123456789abcdef\"\nhistory = 1\n\
                max_clients = 64\nclient_buffer = 16\n";
    let c = load(text).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(c.ui.listen, Some("127.0.0.1:9300".parse().unwrap()));
    assert_eq!(c.ui.token.as_deref(), Some("0123456789abcdef"));
    assert_eq!((c.ui.history, c.ui.max_clients, c.ui.client_buffer), (1, 64, 16));
    assert!(!format!("{:?}", c.ui).contains("0123456789abcdef"), "the token stays out of debug output");
    let c = load("[ui]\nlisten = \"0.0.0.0:9300\"\n").unwrap();
    assert_eq!(c.warnings.len(), 1);
    assert!(
        c.warnings[0]
            .starts_with(&format!("{FILE}:2:10: ui.listen = \"0.0.0.0:9300\" serves the dashboard beyond this host")),
        "{:?}",
        c.warnings
    );
    assert!(load("[ui]\nlisten = \"[::1]:9300\"\n").unwrap().warnings.is_empty());
}

#[test]
fn ui_errors_name_file_line_and_key() {
    let cases: &[(&str, &str)] = &[
        ("[ui]\nlisten = \"nowhere\"\n", "2:10: ui.listen: expected \"address:port\" such as \"127.0.0.1:9300\", found \"nowhere\""),
        ("[ui]\nlisten = 9300\n", "2:10: ui.listen: invalid type: integer `9300`, expected a string"),
        ("[ui]\ntoken = \"short\"\n", "2:9: ui.token: must be 16 to 256 printable ASCII characters without spaces (found 5 characters); remove it"),
        ("[ui]\ntoken = \"with a space in it\"\n", "2:9: ui.token: must be 16 to 256 printable ASCII characters without spaces (found 18 characters, not all printable)"),
        ("[ui]\ntoken = \"ééééééééééééééééé\"\n", "2:9: ui.token: must be 16 to 256 printable ASCII characters without spaces (found 17 characters, not all printable)"),
        ("[ui]\nhistory = 0\n", "2:11: ui.history: must be between 1 and 100000 (records), found 0"),
        ("[ui]\nhistory = 100001\n", "2:11: ui.history: must be between 1 and 100000 (records), found 100001"),
        ("[ui]\nmax_clients = 0\n", "2:15: ui.max_clients: must be between 1 and 64, found 0"),
        ("[ui]\nmax_clients = 65\n", "2:15: ui.max_clients: must be between 1 and 64, found 65"),
        ("[ui]\nclient_buffer = 15\n", "2:17: ui.client_buffer: must be between 16 and 1048576 (records), found 15"),
        ("[ui]\ntheme = \"dark\"\n", "2:1: unknown key `ui.theme` (expected one of: listen, token, history, max_clients, client_buffer)"),
    ];
    for (text, want) in cases {
        let e = err(text);
        assert!(e.starts_with(&format!("{FILE}:{want}")), "for:\n{text}\ngot:  {e}\nwant: {want}");
        assert!(!e.contains('\n'), "one line: {e}");
    }
}

#[test]
fn output_errors_name_file_line_and_key() {
    let cases: &[(&str, &str)] = &[
        (
            "[[outputs]]\ntype = \"kafka\"\n",
            "2:8: outputs[0].type: expected one of \"stdout\", \"file\", \"syslog\", \"http\", found \"kafka\"",
        ),
        ("[[outputs]]\npath = \"/x\"\n", "outputs[0].type: is required"),
        ("[[outputs]]\ntype = \"file\"\n", "2:8: outputs[0].path: is required for this type"),
        ("[[outputs]]\ntype = \"file\"\npath = \"rel\"\n", "3:8: outputs[0].path: must be an absolute path"),
        (
            "[[outputs]]\ntype = \"stdout\"\nurl = \"http://x\"\n",
            "2:8: outputs[0].url: does not apply to type = \"stdout\"",
        ),
        ("[[outputs]]\ntype = \"stdout\"\ncolour = 1\n", "3:1: unknown key `outputs[0].colour`"),
        (
            "[[outputs]]\ntype = \"stdout\"\n[[outputs]]\ntype = \"http\"\nurl = \"https://x/\"\n",
            "5:7: outputs[1].url: https is not supported",
        ),
        ("[[outputs]]\ntype = \"http\"\nurl = \"http://x:port/\"\n", "3:7: outputs[0].url: expected \"host:port\""),
        ("[[outputs]]\ntype = \"syslog\"\ntransport = \"udp\"\n", "2:8: outputs[0].address: is required"),
        ("[[outputs]]\ntype = \"syslog\"\nfacility = \"mail2\"\n", "3:12: outputs[0].facility: expected one of"),
        ("[[outputs]]\ntype = \"stdout\"\nmin_severity = \"severe\"\n", "3:16: outputs[0].min_severity"),
        ("[[outputs]]\ntype = \"stdout\"\nqueue_size = 0\n", "3:14: outputs[0].queue_size: must be between 1 and"),
        (
            "[[outputs]]\ntype = \"stdout\"\n[[outputs]]\ntype = \"stdout\"\nname = \"stdout\"\n",
            "5:8: outputs[1].name: \"stdout\" is already the name",
        ),
        (
            "[[outputs]]\ntype = \"http\"\nurl = \"http://x/\"\nmax_retries = \"3\"\n",
            "4:15: outputs[0].max_retries: invalid type",
        ),
        ("[metrics]\nlisten = \"nowhere\"\n", "2:10: metrics.listen: expected \"address:port\""),
        ("[metrics]\nport = 9\n", "2:1: unknown key `metrics.port` (expected one of: listen)"),
        ("outputs = []\n", "outputs: must list at least one output"),
    ];
    for (text, want) in cases {
        let e = err(text);
        assert!(e.starts_with(FILE) && e.contains(want), "for:\n{text}\ngot:  {e}\nwant: {want}");
    }
}

#[test]
fn foreign_sections_are_accepted_unchecked() {
    let text = "[[rules]]\nanything = 1\n[lists]\nx = [1]\n[macros]\n[detection]\nq = 1979-05-27\n\
                [detections]\nfoo = {}\n";
    let c = load(text).unwrap();
    assert!(c.warnings.is_empty());
}

#[test]
fn error_messages() {
    // (text, exact message)
    let cases: &[(&str, &str)] = &[
        (
            "[agent]\nid = \"a\"\nmode = \"detect\"\n\n\n\ncolour = \"red\"\n",
            "/etc/rand-guard.toml:7:1: unknown key `agent.colour` (expected one of: id, mode, log_level)",
        ),
        (
            "foo = 1\n",
            "/etc/rand-guard.toml:1:1: unknown key `foo` (expected one of: agent, ebpf, events, process, file, network, output, performance, rules, detections, lists, macros, detection, outputs, metrics, ui, response)",
        ),
        (
            "[process.extra]\n",
            "/etc/rand-guard.toml:1:10: unknown key `process.extra` (expected one of: enabled, hooks, collect_args, collect_env, collect_cwd, hash_max_bytes)",
        ),
        (
            "[agent]\nid = \"a\"\nmode = \"loud\"\n",
            "/etc/rand-guard.toml:3:8: agent.mode: expected one of \"monitor\", \"enforce\", \"dry_run\", \"detect\", found \"loud\"",
        ),
        (
            "[agent]\nlog_level = \"verbose\"\n",
            "/etc/rand-guard.toml:2:13: agent.log_level: expected one of \"error\", \"warn\", \"info\", \"debug\", \"trace\", found \"verbose\"",
        ),
        (
            "[agent]\nid = \"  \"\n",
            "/etc/rand-guard.toml:2:6: agent.id: must not be empty",
        ),
        (
            "[agent]\nmode = 5\n",
            "/etc/rand-guard.toml:2:8: agent.mode: invalid type: integer `5`, expected a string",
        ),
        (
            "agent = 5\n",
            "/etc/rand-guard.toml:1:9: agent: invalid type: integer `5`, expected a table",
        ),
        (
            "[file]\nwatch_paths = [\n  \"/etc\",\n  \"etc\",\n]\n",
            "/etc/rand-guard.toml:4:3: file.watch_paths[1]: \"etc\" is not an absolute path",
        ),
        (
            "[file]\n\n\n\n\n\n\n\n\n\n\nwatch_paths = [\"/etc\", \"etc\"]\n",
            "/etc/rand-guard.toml:12:24: file.watch_paths[1]: \"etc\" is not an absolute path",
        ),
        (
            "[file]\nexclude_paths = [\"/proc\", \"/a/../b\"]\n",
            "/etc/rand-guard.toml:2:27: file.exclude_paths[1]: \"/a/../b\" contains a `..` component; use a plain absolute path",
        ),
        (
            "[file]\nwatch_patterns = [\"[abc\"]\n",
            "/etc/rand-guard.toml:2:19: file.watch_patterns[0]: pattern \"[abc\" has an unclosed `[`",
        ),
        (
            "[file]\nwatch_paths = [1]\n",
            "/etc/rand-guard.toml:2:16: file.watch_paths[0]: invalid type: integer `1`, expected a string",
        ),
        (
            "[process]\nhooks = [\"execve\", \"vfork\"]\n",
            "/etc/rand-guard.toml:2:20: process.hooks[1]: unknown process hook \"vfork\" (expected one of: execve, execveat, fork, exit, ptrace, kill, tkill, tgkill, pidfd_send_signal, setuid, setgid, setreuid, setregid, setresuid, setresgid, setfsuid, setfsgid, setgroups, capset, memfd_create, process_vm_writev, bpf, setns, unshare, clone, clone3, mount, umount2, fsmount, move_mount, pivot_root, chroot, open_tree)",
        ),
        (
            "[network]\nhooks = []\n",
            "/etc/rand-guard.toml:2:9: network.hooks: must not be empty (remove the key to attach all network hooks: connect, bind, listen, accept, accept4; disable the category with enabled = false)",
        ),
        (
            "[process]\ncollect_env = true\n",
            "/etc/rand-guard.toml:2:15: process.collect_env: collecting process environments is not supported; set it to false or remove it",
        ),
        (
            "[network]\ncollect_dns = true\n",
            "/etc/rand-guard.toml:2:15: network.collect_dns: DNS collection is not supported; set it to false or remove it",
        ),
        (
            "[network]\ncollect_payload = true\n",
            "/etc/rand-guard.toml:2:19: network.collect_payload: payload collection is not supported; set it to false or remove it",
        ),
        (
            "[ebpf]\nenabled = false\n",
            "/etc/rand-guard.toml:2:11: ebpf.enabled: rand-guard is an eBPF sensor; ebpf.enabled = false cannot run (remove the key or set it to true)",
        ),
        (
            "[output]\nformat = \"xml\"\n",
            "/etc/rand-guard.toml:2:10: output.format: expected \"json\", found \"xml\"",
        ),
        (
            "[output]\ntype = \"file\"\n",
            "/etc/rand-guard.toml:2:8: output.type: type = \"file\" needs output.path (the NDJSON file to write)",
        ),
        (
            "[output]\ntype = \"syslog\"\n",
            "/etc/rand-guard.toml:2:8: output.type: expected \"stdout\" or \"file\", found \"syslog\"",
        ),
        (
            "[output]\nhealth_interval_secs = 0\n",
            "/etc/rand-guard.toml:2:24: output.health_interval_secs: must be between 1 and 86400 (seconds), found 0",
        ),
        (
            "[performance]\nchannel_capacity = 8\n",
            "/etc/rand-guard.toml:2:20: performance.channel_capacity: must be between 16 and 1048576, found 8",
        ),
        (
            "[performance]\nmax_process_cache_entries = 10\n",
            "/etc/rand-guard.toml:2:29: performance.max_process_cache_entries: must be between 64 and 16777216, found 10",
        ),
        (
            "[performance]\nmax_process_cache_bytes = 4096\n",
            "/etc/rand-guard.toml:2:27: performance.max_process_cache_bytes: must be between 1048576 and 4294967296, found 4096",
        ),
        (
            "[performance]\nmax_events_per_second = -5\n",
            "/etc/rand-guard.toml:2:25: performance.max_events_per_second: must be between 0 and 4294967295 (0 = unlimited), found -5",
        ),
        (
            "[performance]\ndrop_when_full = \"yes\"\n",
            "/etc/rand-guard.toml:2:18: performance.drop_when_full: invalid type: string \"yes\", expected a boolean",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(err(text), *want, "for:\n{text}");
    }
}

#[test]
fn unknown_key_reports_the_earliest() {
    let e = err("[file]\nzzz = 1\n[agent]\ncolour = 1\n");
    assert!(e.starts_with("/etc/rand-guard.toml:2:1: unknown key `file.zzz`"), "{e}");
    let e = err("[agent]\n\"odd key\" = 1\n");
    assert!(e.starts_with("/etc/rand-guard.toml:2:1: unknown key `agent.\"odd key\"`"), "{e}");
    let e = err("agent.colour = 1\n");
    assert!(e.starts_with("/etc/rand-guard.toml:1:7: unknown key `agent.colour`"), "{e}");
}

#[test]
fn syntax_errors_have_a_position() {
    let e = load("[agent]\nmode = \"monitor\nx = 1\n").unwrap_err();
    assert!(matches!(e, ConfigError::Syntax { location: Some(Location { line: 2, .. }), .. }), "{e}");
    assert!(e.to_string().starts_with("/etc/rand-guard.toml:2:"), "{e}");
    assert!(!e.to_string().contains('\n'), "{e}");
    let e = err("[agent]\nmode = \"monitor\"\nmode = \"detect\"\n");
    assert!(e.starts_with("/etc/rand-guard.toml:3:1: invalid TOML: duplicate key"), "{e}");
}

#[test]
fn load_reports_read_errors() {
    let e = Config::load(Path::new("/nonexistent/rand-guard.toml")).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().starts_with("/nonexistent/rand-guard.toml: cannot read: "), "{e}");
    let dir = std::env::temp_dir().join(format!("rg-config-test-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join("rand-guard.toml");
    std::fs::write(&file, ORIGINAL).unwrap();
    let c = Config::load(&file).unwrap();
    assert_eq!(c.path, file);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn never_panics_on_mangled_input() {
    // Every prefix of the original and of the shipped config, and a few
    // odd inputs: errors are fine, panics are not.
    for text in [ORIGINAL, SHIPPED] {
        for (i, _) in text.char_indices() {
            let _ = load(&text[..i]);
        }
    }
    for text in [
        "\u{0}",
        "[",
        "a=",
        "[[agent]]\n",
        "[agent]\nid = 1979-05-27\n",
        "é = \"é\"\n",
        "[ebpf]\nbuffer_size = 1e400\n",
    ] {
        let _ = load(text);
    }
}

#[test]
fn agent_mode_values_and_the_old_name() {
    for (text, mode) in
        [("monitor", AgentMode::Monitor), ("enforce", AgentMode::Enforce), ("dry_run", AgentMode::DryRun)]
    {
        let c = load(&format!("[agent]\nmode = \"{text}\"\n")).unwrap();
        assert_eq!(c.agent.mode, mode);
        assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
    }
    let c = load("[agent]\nmode = \"detect\"\n").unwrap();
    assert_eq!(c.agent.mode, AgentMode::Detect);
    assert!(!c.agent.mode.responds());
    assert_eq!(
        c.warnings,
        ["/etc/rand-guard.toml:2:8: agent.mode \"detect\" is the old name of \"monitor\" (it never acts); use \"monitor\", \"dry_run\" or \"enforce\""]
    );
    assert_eq!(
        err("[agent]\nmode = \"kill\"\n"),
        "/etc/rand-guard.toml:2:8: agent.mode: expected one of \"monitor\", \"enforce\", \"dry_run\", \"detect\", found \"kill\""
    );
}

#[test]
fn deny_exec_resolves_paths_to_inodes() {
    use std::os::unix::fs::MetadataExt;
    let dir = std::env::temp_dir().join(format!("rg-deny-exec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (dir.join("a"), dir.join("b"));
    std::fs::write(&a, "x").unwrap();
    std::fs::hard_link(&a, &b).unwrap();
    let text = format!(
        "[agent]\nmode = \"enforce\"\n[response]\ndeny_exec = [\"{}\", \"{}\", \"{}/missing\"]\n",
        a.display(),
        b.display(),
        dir.display()
    );
    let c = load(&text).unwrap();
    let meta = std::fs::metadata(&a).unwrap();
    // a hard link is the same entry
    assert_eq!(c.response.deny_exec.len(), 1);
    assert_eq!(c.response.deny_exec[0].ino, meta.ino());
    assert_eq!(c.response.deny_exec[0].dev, response::kernel_dev(meta.dev()));
    assert_eq!(c.warnings.len(), 1, "{:#?}", c.warnings);
    assert!(c.warnings[0].contains("missing\" does not exist: nothing is denied for it"), "{}", c.warnings[0]);
    // a mode that never acts keeps the list and says it is not enforced
    let c = load(&text.replace("enforce", "monitor")).unwrap();
    assert!(c.warnings.iter().any(|w| w.contains("response.deny_exec is not enforced: agent.mode is \"monitor\"")));
    // the list is checked at exec: the exec hooks must be on
    let no_exec = format!("{text}[process]\nhooks = [\"fork\"]\n");
    assert!(err(&no_exec).ends_with(
        "response.deny_exec: is checked at exec: it needs [process] enabled with the hook \"execve\" (or \"execveat\")"
    ));
    assert_eq!(
        err("[response]\ndeny_exec = [\"bin/nc\"]\n"),
        "/etc/rand-guard.toml:2:14: response.deny_exec: \"bin/nc\" is not an absolute path"
    );
    assert!(err(&format!("[response]\ndeny_exec = [\"{}\"]\n", dir.display())).ends_with("is not a regular file"));
    assert!(err("[response]\ndeny_connect = []\n").contains("deny_connect"));
    std::fs::remove_dir_all(&dir).unwrap();
}
