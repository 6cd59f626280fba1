//! The shape of compose-go's Go types (v2.9.1, the version in Docker Compose v2.40), as data.
//!
//! `docker compose config` marshals these structs: fields come out in declaration order,
//! `omitempty` fields are left out when zero (go-yaml: also all-zero structs; Go's JSON:
//! never structs), pointers only when nil, maps sorted, and a few types carry their own
//! marshalers. `marshal` walks the canonical tree with these descriptions to print it.

/// A Go type, as far as printing it is concerned.
pub enum Ty {
    Str,
    Bool,
    /// Any integer type.
    Int,
    /// `float32` (and `NanoCPUs`): printed with float32 precision.
    F32,
    /// `types.Duration`: a Go duration string, zero when it parses to 0.
    Duration,
    /// `types.UnitBytes`: a byte count printed as a decimal string.
    Bytes,
    /// `types.FileMode`: printed as an octal string ("0440").
    FileMode,
    /// `types.ShellCommand`: zero only when nil (an empty list is kept).
    Command,
    /// `types.UlimitsConfig`: a single number, or soft and hard.
    Ulimit,
    /// `types.EnvFile`: the path alone when required.
    EnvFile,
    /// `types.SSHConfig`: "id" or "id: path" entries.
    Ssh,
    /// `types.MultiOptions`: every value a list of strings.
    MultiOptions,
    Ptr(&'static Ty),
    Seq(&'static Ty),
    /// `map[string]T`, printed sorted by key.
    Map(&'static Ty),
    Struct(&'static Struct),
}

pub struct Struct {
    pub fields: &'static [Field],
    /// An inline `Extensions` map: `x-*` keys printed after the fields in YAML, never in JSON.
    pub extensions: bool,
}

pub struct Field {
    /// The key in the canonical tree, which is also the YAML key.
    pub key: &'static str,
    /// The JSON key; `None` for `json:"-"`.
    pub json: Option<&'static str>,
    pub ty: &'static Ty,
    pub yaml_omitempty: bool,
    pub json_omitempty: bool,
}

/// `yaml:"k,omitempty" json:"k,omitempty"`, the common case.
const fn f(key: &'static str, ty: &'static Ty) -> Field {
    Field {
        key,
        json: Some(key),
        ty,
        yaml_omitempty: true,
        json_omitempty: true,
    }
}

/// Printed even when zero, in both encodings.
const fn always(key: &'static str, ty: &'static Ty) -> Field {
    Field {
        yaml_omitempty: false,
        json_omitempty: false,
        ..f(key, ty)
    }
}

/// `yaml:"k,omitempty" json:"k"`: JSON prints the zero value (commands print `null`).
const fn json_always(key: &'static str, ty: &'static Ty) -> Field {
    Field {
        json_omitempty: false,
        ..f(key, ty)
    }
}

/// An untagged field: lower-case key in YAML, the Go field name in JSON, never omitted.
const fn untagged(key: &'static str, go_name: &'static str, ty: &'static Ty) -> Field {
    Field {
        json: Some(go_name),
        ..always(key, ty)
    }
}

const fn with_ext(fields: &'static [Field]) -> Struct {
    Struct {
        fields,
        extensions: true,
    }
}

static STR: Ty = Ty::Str;
static BOOL: Ty = Ty::Bool;
static INT: Ty = Ty::Int;
static F32: Ty = Ty::F32;
static DURATION: Ty = Ty::Duration;
static BYTES: Ty = Ty::Bytes;
static COMMAND: Ty = Ty::Command;
static STRINGS: Ty = Ty::Seq(&STR);
/// `Mapping`, `Labels`, `Options`, `map[string]string`.
static MAPPING: Ty = Ty::Map(&STR);
static PTR_STR: Ty = Ty::Ptr(&STR);
/// `MappingWithEquals`: null values stay null.
static MAPPING_EQ: Ty = Ty::Map(&PTR_STR);
static PTR_BOOL: Ty = Ty::Ptr(&BOOL);
static PTR_INT: Ty = Ty::Ptr(&INT);
static PTR_DURATION: Ty = Ty::Ptr(&DURATION);
static ULIMITS: Ty = Ty::Map(&PTR_ULIMIT);
static PTR_ULIMIT: Ty = Ty::Ptr(&Ty::Ulimit);
static FILE_REFS: Ty = Ty::Seq(&FILE_REF);
static FILE_REF: Ty = Ty::Struct(&FILE_REF_S);
static PTR_FILE_MODE: Ty = Ty::Ptr(&Ty::FileMode);

static FILE_REF_S: Struct = with_ext(&[
    f("source", &STR),
    f("target", &STR),
    f("uid", &STR),
    f("gid", &STR),
    f("mode", &PTR_FILE_MODE),
]);

pub static SERVICE: Ty = Ty::Struct(&SERVICE_S);
static SERVICE_S: Struct = with_ext(&[
    f("profiles", &STRINGS),
    f("annotations", &MAPPING),
    f("attach", &PTR_BOOL),
    f("build", &Ty::Ptr(&BUILD)),
    f("develop", &Ty::Ptr(&DEVELOP)),
    f("blkio_config", &Ty::Ptr(&BLKIO)),
    f("cap_add", &STRINGS),
    f("cap_drop", &STRINGS),
    f("cgroup_parent", &STR),
    f("cgroup", &STR),
    f("cpu_count", &INT),
    f("cpu_percent", &F32),
    f("cpu_period", &INT),
    f("cpu_quota", &INT),
    f("cpu_rt_period", &INT),
    f("cpu_rt_runtime", &INT),
    f("cpus", &F32),
    f("cpuset", &STR),
    f("cpu_shares", &INT),
    json_always("command", &COMMAND),
    f("configs", &FILE_REFS),
    f("container_name", &STR),
    f("credential_spec", &Ty::Ptr(&CREDENTIAL_SPEC)),
    f("depends_on", &Ty::Map(&DEPENDENCY)),
    f("deploy", &Ty::Ptr(&DEPLOY)),
    f("device_cgroup_rules", &STRINGS),
    f("devices", &Ty::Seq(&DEVICE)),
    f("dns", &STRINGS),
    f("dns_opt", &STRINGS),
    f("dns_search", &STRINGS),
    f("dockerfile", &STR),
    f("domainname", &STR),
    json_always("entrypoint", &COMMAND),
    f("provider", &Ty::Ptr(&PROVIDER)),
    f("environment", &MAPPING_EQ),
    f("env_file", &Ty::Seq(&Ty::EnvFile)),
    f("expose", &STRINGS),
    f("extends", &Ty::Ptr(&EXTENDS)),
    f("external_links", &STRINGS),
    // `HostsList` marshals as a sorted list of "host=ip", which is what the tree holds.
    f("extra_hosts", &STRINGS),
    f("group_add", &STRINGS),
    f("gpus", &DEVICE_REQUESTS),
    f("hostname", &STR),
    f("healthcheck", &Ty::Ptr(&HEALTHCHECK)),
    f("image", &STR),
    f("init", &PTR_BOOL),
    f("ipc", &STR),
    f("isolation", &STR),
    f("labels", &MAPPING),
    f("label_file", &STRINGS),
    f("links", &STRINGS),
    f("logging", &Ty::Ptr(&LOGGING)),
    f("log_driver", &STR),
    f("log_opt", &MAPPING),
    f("mem_limit", &BYTES),
    f("mem_reservation", &BYTES),
    f("memswap_limit", &BYTES),
    f("mem_swappiness", &BYTES),
    f("mac_address", &STR),
    f("models", &Ty::Map(&Ty::Ptr(&SERVICE_MODEL))),
    f("net", &STR),
    f("network_mode", &STR),
    f("networks", &Ty::Map(&Ty::Ptr(&SERVICE_NETWORK))),
    f("oom_kill_disable", &BOOL),
    f("oom_score_adj", &INT),
    f("pid", &STR),
    f("pids_limit", &INT),
    f("platform", &STR),
    f("ports", &Ty::Seq(&PORT)),
    f("privileged", &BOOL),
    f("pull_policy", &STR),
    f("read_only", &BOOL),
    f("restart", &STR),
    f("runtime", &STR),
    f("scale", &PTR_INT),
    f("secrets", &FILE_REFS),
    f("security_opt", &STRINGS),
    f("shm_size", &BYTES),
    f("stdin_open", &BOOL),
    f("stop_grace_period", &PTR_DURATION),
    f("stop_signal", &STR),
    f("storage_opt", &MAPPING),
    f("sysctls", &MAPPING),
    f("tmpfs", &STRINGS),
    f("tty", &BOOL),
    f("ulimits", &ULIMITS),
    f("use_api_socket", &BOOL),
    f("user", &STR),
    f("userns_mode", &STR),
    f("uts", &STR),
    f("volume_driver", &STR),
    f("volumes", &Ty::Seq(&SERVICE_VOLUME)),
    f("volumes_from", &STRINGS),
    f("working_dir", &STR),
    f("post_start", &HOOKS),
    f("pre_stop", &HOOKS),
]);

static PROVIDER: Ty = Ty::Struct(&with_ext(&[
    f("type", &STR),
    f("options", &Ty::MultiOptions),
]));

static BUILD: Ty = Ty::Struct(&with_ext(&[
    f("context", &STR),
    f("dockerfile", &STR),
    f("dockerfile_inline", &STR),
    f("entitlements", &STRINGS),
    f("args", &MAPPING_EQ),
    f("provenance", &STR),
    f("sbom", &STR),
    f("ssh", &Ty::Ssh),
    f("labels", &MAPPING),
    f("cache_from", &STRINGS),
    f("cache_to", &STRINGS),
    f("no_cache", &BOOL),
    f("additional_contexts", &MAPPING),
    f("pull", &BOOL),
    f("extra_hosts", &STRINGS),
    f("isolation", &STR),
    f("network", &STR),
    f("target", &STR),
    f("secrets", &FILE_REFS),
    f("shm_size", &BYTES),
    f("tags", &STRINGS),
    f("ulimits", &ULIMITS),
    f("platforms", &STRINGS),
    f("privileged", &BOOL),
]));

static BLKIO: Ty = Ty::Struct(&with_ext(&[
    f("weight", &INT),
    f("weight_device", &Ty::Seq(&WEIGHT_DEVICE)),
    f("device_read_bps", &THROTTLE_DEVICES),
    f("device_read_iops", &THROTTLE_DEVICES),
    f("device_write_bps", &THROTTLE_DEVICES),
    f("device_write_iops", &THROTTLE_DEVICES),
]));

// `WeightDevice` and `ThrottleDevice` have no tags: go-yaml lower-cases the field names,
// Go's JSON keeps them as written.
static WEIGHT_DEVICE: Ty = Ty::Struct(&with_ext(&[
    untagged("path", "Path", &STR),
    untagged("weight", "Weight", &INT),
]));
static THROTTLE_DEVICES: Ty = Ty::Seq(&Ty::Struct(&THROTTLE_DEVICE_S));
static THROTTLE_DEVICE_S: Struct = with_ext(&[
    untagged("path", "Path", &STR),
    untagged("rate", "Rate", &BYTES),
]);

static DEVICE: Ty = Ty::Struct(&with_ext(&[
    f("source", &STR),
    f("target", &STR),
    f("permissions", &STR),
]));

static LOGGING: Ty = Ty::Struct(&with_ext(&[f("driver", &STR), f("options", &MAPPING)]));

static DEPLOY: Ty = Ty::Struct(&with_ext(&[
    f("mode", &STR),
    f("replicas", &PTR_INT),
    f("labels", &MAPPING),
    f("update_config", &Ty::Ptr(&UPDATE_CONFIG)),
    f("rollback_config", &Ty::Ptr(&UPDATE_CONFIG)),
    f("resources", &RESOURCES),
    f("restart_policy", &Ty::Ptr(&RESTART_POLICY)),
    f("placement", &PLACEMENT),
    f("endpoint_mode", &STR),
]));

static UPDATE_CONFIG: Ty = Ty::Struct(&with_ext(&[
    f("parallelism", &PTR_INT),
    f("delay", &DURATION),
    f("failure_action", &STR),
    f("monitor", &DURATION),
    f("max_failure_ratio", &F32),
    f("order", &STR),
]));

static RESOURCES: Ty = Ty::Struct(&with_ext(&[
    f("limits", &Ty::Ptr(&RESOURCE)),
    f("reservations", &Ty::Ptr(&RESOURCE)),
]));

static RESOURCE: Ty = Ty::Struct(&with_ext(&[
    f("cpus", &F32),
    f("memory", &BYTES),
    f("pids", &INT),
    f("devices", &DEVICE_REQUESTS),
    f("generic_resources", &Ty::Seq(&GENERIC_RESOURCE)),
]));

static GENERIC_RESOURCE: Ty = Ty::Struct(&with_ext(&[f(
    "discrete_resource_spec",
    &Ty::Ptr(&DISCRETE_RESOURCE),
)]));
static DISCRETE_RESOURCE: Ty =
    Ty::Struct(&with_ext(&[always("kind", &STR), always("value", &INT)]));

static RESTART_POLICY: Ty = Ty::Struct(&with_ext(&[
    f("condition", &STR),
    f("delay", &PTR_DURATION),
    f("max_attempts", &PTR_INT),
    f("window", &PTR_DURATION),
]));

static PLACEMENT: Ty = Ty::Struct(&with_ext(&[
    f("constraints", &STRINGS),
    f(
        "preferences",
        &Ty::Seq(&Ty::Struct(&with_ext(&[f("spread", &STR)]))),
    ),
    f("max_replicas_per_node", &INT),
]));

static DEVICE_REQUESTS: Ty = Ty::Seq(&Ty::Struct(&DEVICE_REQUEST_S));
static DEVICE_REQUEST_S: Struct = Struct {
    fields: &[
        f("capabilities", &STRINGS),
        f("driver", &STR),
        f("count", &INT),
        f("device_ids", &STRINGS),
        f("options", &MAPPING),
    ],
    extensions: false,
};

static SERVICE_NETWORK: Ty = Ty::Struct(&with_ext(&[
    f("aliases", &STRINGS),
    f("driver_opts", &MAPPING),
    f("gw_priority", &INT),
    f("interface_name", &STR),
    f("ipv4_address", &STR),
    f("ipv6_address", &STR),
    f("link_local_ips", &STRINGS),
    f("mac_address", &STR),
    f("priority", &INT),
]));

static PORT: Ty = Ty::Struct(&with_ext(&[
    f("name", &STR),
    f("mode", &STR),
    f("host_ip", &STR),
    f("target", &INT),
    f("published", &STR),
    f("protocol", &STR),
    f("app_protocol", &STR),
]));

static SERVICE_VOLUME: Ty = Ty::Struct(&with_ext(&[
    f("type", &STR),
    f("source", &STR),
    f("target", &STR),
    f("read_only", &BOOL),
    f("consistency", &STR),
    f(
        "bind",
        &Ty::Ptr(&Ty::Struct(&with_ext(&[
            f("selinux", &STR),
            f("propagation", &STR),
            f("create_host_path", &BOOL),
            f("recursive", &STR),
        ]))),
    ),
    f(
        "volume",
        &Ty::Ptr(&Ty::Struct(&with_ext(&[
            f("labels", &MAPPING),
            f("nocopy", &BOOL),
            f("subpath", &STR),
        ]))),
    ),
    f(
        "tmpfs",
        &Ty::Ptr(&Ty::Struct(&with_ext(&[
            f("size", &BYTES),
            f("mode", &INT),
        ]))),
    ),
    f(
        "image",
        &Ty::Ptr(&Ty::Struct(&with_ext(&[f("subpath", &STR)]))),
    ),
]));

static CREDENTIAL_SPEC: Ty = Ty::Struct(&with_ext(&[
    f("config", &STR),
    f("file", &STR),
    f("registry", &STR),
]));

static DEPENDENCY: Ty = Ty::Struct(&with_ext(&[
    f("condition", &STR),
    f("restart", &BOOL),
    always("required", &BOOL),
]));

static EXTENDS: Ty = Ty::Struct(&Struct {
    fields: &[f("file", &STR), f("service", &STR)],
    extensions: false,
});

static HEALTHCHECK: Ty = Ty::Struct(&with_ext(&[
    f("test", &STRINGS),
    f("timeout", &PTR_DURATION),
    f("interval", &PTR_DURATION),
    f("retries", &PTR_INT),
    f("start_period", &PTR_DURATION),
    f("start_interval", &PTR_DURATION),
    f("disable", &BOOL),
]));

static DEVELOP: Ty = Ty::Struct(&with_ext(&[f(
    "watch",
    &Ty::Seq(&Ty::Struct(&with_ext(&[
        always("path", &STR),
        always("action", &STR),
        f("target", &STR),
        f("exec", &HOOK),
        f("include", &STRINGS),
        f("ignore", &STRINGS),
        f("initial_sync", &BOOL),
    ]))),
)]));

static HOOKS: Ty = Ty::Seq(&HOOK);
static HOOK: Ty = Ty::Struct(&with_ext(&[
    json_always("command", &COMMAND),
    f("user", &STR),
    f("privileged", &BOOL),
    f("working_dir", &STR),
    f("environment", &MAPPING_EQ),
]));

static SERVICE_MODEL: Ty = Ty::Struct(&with_ext(&[f("endpoint_var", &STR), f("model_var", &STR)]));

/// `types.Project` as go-yaml prints it (its JSON is a hand-built map: see `marshal`).
pub static PROJECT: Ty = Ty::Struct(&with_ext(&[
    Field {
        json_omitempty: false,
        ..f("name", &STR)
    },
    always("services", &Ty::Map(&SERVICE)),
    f("networks", &Ty::Map(&NETWORK)),
    f("volumes", &Ty::Map(&VOLUME)),
    f("secrets", &Ty::Map(&FILE_OBJECT)),
    f("configs", &Ty::Map(&FILE_OBJECT)),
    f("models", &Ty::Map(&MODEL)),
]));

static NETWORK: Ty = Ty::Struct(&with_ext(&[
    f("name", &STR),
    f("driver", &STR),
    f("driver_opts", &MAPPING),
    f(
        "ipam",
        &Ty::Struct(&with_ext(&[
            f("driver", &STR),
            f(
                "config",
                &Ty::Seq(&Ty::Ptr(&Ty::Struct(&with_ext(&[
                    f("subnet", &STR),
                    f("gateway", &STR),
                    f("ip_range", &STR),
                    f("aux_addresses", &MAPPING),
                ])))),
            ),
        ])),
    ),
    f("external", &BOOL),
    f("internal", &BOOL),
    f("attachable", &BOOL),
    f("labels", &MAPPING),
    f("enable_ipv4", &PTR_BOOL),
    f("enable_ipv6", &PTR_BOOL),
]));

static VOLUME: Ty = Ty::Struct(&with_ext(&[
    f("name", &STR),
    f("driver", &STR),
    f("driver_opts", &MAPPING),
    f("external", &BOOL),
    f("labels", &MAPPING),
]));

/// `FileObjectConfig`, behind top-level secrets and configs.
static FILE_OBJECT: Ty = Ty::Struct(&with_ext(&[
    f("name", &STR),
    f("file", &STR),
    f("environment", &STR),
    f("content", &STR),
    f("external", &BOOL),
    f("labels", &MAPPING),
    f("driver", &STR),
    f("driver_opts", &MAPPING),
    f("template_driver", &STR),
]));

static MODEL: Ty = Ty::Struct(&with_ext(&[
    f("name", &STR),
    f("model", &STR),
    f("context_size", &INT),
    f("runtime_flags", &STRINGS),
]));
