//! Sigma log sources and field names, mapped onto rand-guard's event types
//! and fields (docs/rules.md, "Sigma rules"). Whether a field can be
//! provided is read from the engine's field table (`Field::from_name`),
//! so a mapped field this build lacks is refused by name, and starts
//! working once the field exists.

use crate::record::EventType;
use crate::rules::eval::{Cond, Test};
use crate::rules::fields::{Field, TypeMask};

/// The Sigma log sources rand-guard reads (`product: linux`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogSource {
    ProcessCreation,
    FileEvent,
    NetworkConnection,
}

impl LogSource {
    pub fn from_category(c: &str) -> Option<LogSource> {
        Some(match c {
            "process_creation" => LogSource::ProcessCreation,
            "file_event" => LogSource::FileEvent,
            "network_connection" => LogSource::NetworkConnection,
            _ => return None,
        })
    }

    /// The event types the log source's rules run on.
    pub fn mask(self) -> TypeMask {
        let of = |ts: &[EventType]| ts.iter().fold(TypeMask::NONE, |m, t| m.union(TypeMask::of(*t)));
        match self {
            LogSource::ProcessCreation => of(&[EventType::ProcessExec]),
            LogSource::FileEvent => of(&[EventType::FileOpen, EventType::FileWrite, EventType::FileRename]),
            LogSource::NetworkConnection => of(&[EventType::NetworkConnect, EventType::NetworkAccept]),
        }
    }

    /// What every record of the log source must also satisfy: a
    /// `file_event` is a file created or written, so an open must be for
    /// writing or create the file.
    pub fn base(self) -> Cond {
        match self {
            LogSource::FileEvent => Cond::Or(
                vec![
                    Cond::Not(Box::new(is_type(EventType::FileOpen))),
                    Cond::Not(Box::new(Cond::Test(Field::Access, Test::StrEq("read".into())))),
                    Cond::Test(Field::Flags, Test::StrEq("O_CREAT".into())),
                ]
                .into(),
            ),
            LogSource::ProcessCreation | LogSource::NetworkConnection => Cond::Const(true),
        }
    }
}

pub fn is_type(t: EventType) -> Cond {
    Cond::Test(Field::EventTypeF, Test::StrEq(t.as_str().into()))
}

/// Where a Sigma field's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A rand-guard field, by name (it may not exist in this build).
    Field(&'static str),
    /// `TargetFilename`: `path` of an open or write, `dest_path` (where
    /// the file now is) of a rename.
    TargetFilename,
    /// `Initiated`: `direction` is `outbound` for `true`.
    Initiated,
    /// `Hashes`: `SHA256=<hex>` against `exe_sha256`.
    Hashes,
}

/// The Sigma field map: (Sigma name, log sources it is mapped for, target).
pub const FIELD_MAP: &[(&str, &[LogSource], Target)] = {
    use LogSource::*;
    const ALL: &[LogSource] = &[ProcessCreation, FileEvent, NetworkConnection];
    const PROC: &[LogSource] = &[ProcessCreation];
    const FILE: &[LogSource] = &[FileEvent];
    const NET: &[LogSource] = &[NetworkConnection];
    &[
        ("Image", ALL, Target::Field("exe")),
        ("CommandLine", ALL, Target::Field("cmdline")),
        ("ParentImage", ALL, Target::Field("parent_exe")),
        ("ParentCommandLine", ALL, Target::Field("parent_cmdline")),
        ("User", ALL, Target::Field("user")),
        ("ProcessId", ALL, Target::Field("pid")),
        ("ParentProcessId", ALL, Target::Field("ppid")),
        ("CurrentDirectory", PROC, Target::Field("cwd")),
        ("Hashes", PROC, Target::Hashes),
        ("TargetFilename", FILE, Target::TargetFilename),
        ("DestinationIp", NET, Target::Field("remote_addr")),
        ("DestinationPort", NET, Target::Field("remote_port")),
        ("DestinationHostname", NET, Target::Field("remote_hostname")),
        ("SourceIp", NET, Target::Field("local_addr")),
        ("SourcePort", NET, Target::Field("local_port")),
        ("Initiated", NET, Target::Initiated),
    ]
};

/// Why a Sigma field cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldProblem {
    /// Not in the field map for this log source.
    Unmapped,
    /// Mapped to a rand-guard field this build does not have yet.
    NotProvided(&'static str),
}

/// Resolves a Sigma field for a log source.
pub fn target(name: &str, ls: LogSource) -> Result<Target, FieldProblem> {
    let (_, _, t) =
        FIELD_MAP.iter().find(|(n, srcs, _)| *n == name && srcs.contains(&ls)).ok_or(FieldProblem::Unmapped)?;
    let needs = match t {
        Target::Field(f) => f,
        Target::Hashes => "exe_sha256",
        Target::TargetFilename | Target::Initiated => return Ok(*t),
    };
    match Field::from_name(needs) {
        Some(_) => Ok(*t),
        None => Err(FieldProblem::NotProvided(needs)),
    }
}
