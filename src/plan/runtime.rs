//! PURE typed view of the service, network and volume keys that the loader's typed model
//! carries only in `extra` (resources, namespaces, devices, logging, secrets, ...), with the
//! value parsers Compose applies to them (byte sizes, CPU counts, octal modes).

use crate::compose::Service;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A scalar as YAML/JSON may give it: the canonical tree holds sizes as strings of bytes, but
/// hand-built values may be numbers or unit strings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Scalar {
    /// The value as text, as Compose passes free-form options (sysctls, log options).
    pub fn text(&self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Str(s) => s.clone(),
        }
    }

    pub fn int(&self) -> Result<i64, String> {
        match self {
            Scalar::Int(i) => Ok(*i),
            Scalar::Float(f) if f.fract() == 0.0 => Ok(*f as i64),
            Scalar::Str(s) => s
                .trim()
                .parse()
                .map_err(|_| format!("{s:?} is not a whole number")),
            other => Err(format!("{} is not a whole number", other.text())),
        }
    }

    pub fn float(&self) -> Result<f64, String> {
        match self {
            Scalar::Int(i) => Ok(*i as f64),
            Scalar::Float(f) => Ok(*f),
            Scalar::Str(s) => s
                .trim()
                .parse()
                .map_err(|_| format!("{s:?} is not a number")),
            Scalar::Bool(b) => Err(format!("{b} is not a number")),
        }
    }

    /// A size in bytes: a number, or docker's "48m" / "1.5g" / "512kb" (binary multiples).
    pub fn bytes(&self) -> Result<i64, String> {
        match self {
            Scalar::Str(s) => parse_bytes(s),
            other => other.int(),
        }
    }

    /// Microseconds: a number, or a duration ("400ms").
    pub fn micros(&self) -> Result<i64, String> {
        match self {
            Scalar::Str(s) if s.trim().parse::<i64>().is_err() => crate::compose::parse_duration(s)
                .map(|d| d.as_micros() as i64)
                .ok_or_else(|| format!("{s:?} is not a duration")),
            other => other.int(),
        }
    }

    /// A file mode: strings are octal ("0440"), numbers are taken as they are.
    pub fn mode(&self) -> Result<u32, String> {
        match self {
            Scalar::Str(s) => {
                let digits = s.trim().trim_start_matches("0o");
                u32::from_str_radix(digits, 8).map_err(|_| format!("{s:?} is not an octal mode"))
            }
            other => {
                u32::try_from(other.int()?).map_err(|_| format!("{} is not a mode", other.text()))
            }
        }
    }
}

/// Docker's `RAMInBytes`, as the loader reads sizes (`crate::compose::parse_bytes`).
pub fn parse_bytes(text: &str) -> Result<i64, String> {
    crate::compose::parse_bytes(text)
        .ok_or_else(|| format!("{text:?} is not a size (e.g. 512m, 1g, 1048576)"))
}

/// `ulimits.<name>`: one number for both limits, or soft and hard.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Ulimit {
    Single(Scalar),
    Pair { soft: Scalar, hard: Scalar },
}

/// A device: "host[:container[:permissions]]" or the long form.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Device {
    Short(String),
    Long {
        source: String,
        #[serde(default)]
        target: Option<String>,
        #[serde(default)]
        permissions: Option<String>,
    },
}

impl Device {
    /// (host path, container path, permissions), with Compose's defaults.
    pub fn parts(&self) -> (String, String, String) {
        let (source, target, permissions) = match self {
            Device::Short(s) => {
                let mut it = s.splitn(3, ':');
                let source = it.next().unwrap_or_default().to_string();
                let target = it.next().map(str::to_string);
                (source, target, it.next().map(str::to_string))
            }
            Device::Long {
                source,
                target,
                permissions,
            } => (source.clone(), target.clone(), permissions.clone()),
        };
        let target = target
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| source.clone());
        let permissions = permissions
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "rwm".into());
        (source, target, permissions)
    }
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct Logging {
    pub driver: Option<String>,
    pub options: BTreeMap<String, Option<Scalar>>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct WeightDevice {
    #[serde(alias = "Path")]
    pub path: String,
    #[serde(alias = "Weight")]
    pub weight: Scalar,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ThrottleDevice {
    #[serde(alias = "Path")]
    pub path: String,
    #[serde(alias = "Rate")]
    pub rate: Scalar,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct Blkio {
    pub weight: Option<Scalar>,
    pub weight_device: Vec<WeightDevice>,
    pub device_read_bps: Vec<ThrottleDevice>,
    pub device_write_bps: Vec<ThrottleDevice>,
    pub device_read_iops: Vec<ThrottleDevice>,
    pub device_write_iops: Vec<ThrottleDevice>,
}

/// A device request (`deploy.resources.reservations.devices`, `gpus`).
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct DeviceRequest {
    pub capabilities: Vec<String>,
    /// A number or "all".
    pub count: Option<Scalar>,
    pub device_ids: Vec<String>,
    pub driver: Option<String>,
    pub options: BTreeMap<String, Scalar>,
}

impl DeviceRequest {
    /// Compose's count: "all" is -1.
    pub fn count(&self) -> Result<Option<i64>, String> {
        match &self.count {
            None => Ok(None),
            Some(Scalar::Str(s)) if s == "all" => Ok(Some(-1)),
            Some(c) => c.int().map(Some),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct Resource {
    pub cpus: Option<Scalar>,
    pub memory: Option<Scalar>,
    pub pids: Option<Scalar>,
    pub devices: Vec<DeviceRequest>,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct DeployResources {
    pub limits: Option<Resource>,
    pub reservations: Option<Resource>,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct RestartPolicy {
    pub condition: Option<String>,
    pub max_attempts: Option<Scalar>,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct Deploy {
    pub replicas: Option<Scalar>,
    pub resources: DeployResources,
    pub restart_policy: Option<RestartPolicy>,
}

/// `gpus: all` or a list of requests.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Gpus {
    All(String),
    List(Vec<DeviceRequest>),
}

/// A service's reference to a secret or config.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum FileRef {
    Short(String),
    Long {
        source: String,
        #[serde(default)]
        target: Option<String>,
        #[serde(default)]
        uid: Option<Scalar>,
        #[serde(default)]
        gid: Option<Scalar>,
        #[serde(default)]
        mode: Option<Scalar>,
    },
}

/// The runtime keys of a service that the typed model keeps in `extra`.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct Runtime {
    pub mem_limit: Option<Scalar>,
    pub memswap_limit: Option<Scalar>,
    pub mem_reservation: Option<Scalar>,
    pub mem_swappiness: Option<Scalar>,
    pub cpus: Option<Scalar>,
    pub cpu_shares: Option<Scalar>,
    pub cpu_quota: Option<Scalar>,
    pub cpu_period: Option<Scalar>,
    pub cpu_rt_period: Option<Scalar>,
    pub cpu_rt_runtime: Option<Scalar>,
    pub cpu_count: Option<Scalar>,
    pub cpu_percent: Option<Scalar>,
    pub cpuset: Option<String>,
    pub pids_limit: Option<Scalar>,
    pub oom_kill_disable: bool,
    pub oom_score_adj: Option<Scalar>,
    pub shm_size: Option<Scalar>,
    pub security_opt: Vec<String>,
    pub pid: Option<String>,
    pub ipc: Option<String>,
    pub uts: Option<String>,
    pub userns_mode: Option<String>,
    pub cgroup: Option<String>,
    pub cgroup_parent: Option<String>,
    pub domainname: Option<String>,
    pub mac_address: Option<String>,
    pub runtime: Option<String>,
    pub platform: Option<String>,
    pub isolation: Option<String>,
    pub network_mode: Option<String>,
    pub volume_driver: Option<String>,
    pub group_add: Vec<Scalar>,
    pub ulimits: BTreeMap<String, Ulimit>,
    pub sysctls: KeyValues,
    pub storage_opt: KeyValues,
    pub annotations: KeyValues,
    pub devices: Vec<Device>,
    pub device_cgroup_rules: Vec<String>,
    pub dns_search: StringOrList,
    pub dns_opt: Vec<String>,
    pub logging: Option<Logging>,
    pub volumes_from: Vec<String>,
    pub links: Vec<String>,
    pub external_links: Vec<String>,
    pub blkio_config: Option<Blkio>,
    pub deploy: Option<Deploy>,
    pub gpus: Option<Gpus>,
    pub secrets: Vec<FileRef>,
    pub configs: Vec<FileRef>,
    pub scale: Option<Scalar>,
}

/// A mapping, or a list of "key=value" (`sysctls`, `annotations`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum KeyValues {
    Map(BTreeMap<String, Option<Scalar>>),
    List(Vec<String>),
}

impl Default for KeyValues {
    fn default() -> Self {
        KeyValues::Map(BTreeMap::new())
    }
}

impl KeyValues {
    /// The entries as text ("key" alone has an empty value).
    pub fn to_map(&self) -> BTreeMap<String, String> {
        match self {
            KeyValues::Map(m) => m
                .iter()
                .map(|(k, v)| (k.clone(), v.as_ref().map(Scalar::text).unwrap_or_default()))
                .collect(),
            KeyValues::List(items) => items
                .iter()
                .map(|i| match i.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (i.clone(), String::new()),
                })
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            KeyValues::Map(m) => m.is_empty(),
            KeyValues::List(l) => l.is_empty(),
        }
    }
}

/// A string or a list of strings (`dns_search: example.com`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum StringOrList {
    One(String),
    Many(Vec<String>),
}

impl Default for StringOrList {
    fn default() -> Self {
        StringOrList::Many(Vec::new())
    }
}

impl StringOrList {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            StringOrList::One(s) => vec![s.clone()],
            StringOrList::Many(v) => v.clone(),
        }
    }
}

/// Reads typed `T` from a map of keys, naming the key path on failure.
pub fn read<T: serde::de::DeserializeOwned>(
    what: &str,
    map: &indexmap::IndexMap<String, serde_json::Value>,
) -> Result<T, String> {
    let value =
        serde_json::Value::Object(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
    serde_path_to_error::deserialize(value)
        .map_err(|e| format!("{what}: cannot read `{}`: {}", e.path(), e.inner()))
}

impl Runtime {
    /// The runtime keys of `service`.
    pub fn of(service: &Service) -> Result<Runtime, String> {
        read(&format!("service {:?}", service.name), &service.extra)
    }

    /// How many containers the service runs: `scale`, else `deploy.replicas`, else 1.
    pub fn scale(&self) -> Result<u32, String> {
        let value = self
            .scale
            .as_ref()
            .or_else(|| self.deploy.as_ref().and_then(|d| d.replicas.as_ref()));
        match value {
            None => Ok(1),
            Some(v) => {
                let n = v.int()?;
                u32::try_from(n).map_err(|_| format!("scale {n} must not be negative"))
            }
        }
    }
}

/// The extra keys of a network in the compose file.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct NetworkExtra {
    pub attachable: bool,
    pub enable_ipv6: Option<bool>,
    pub enable_ipv4: Option<bool>,
    pub driver_opts: BTreeMap<String, Scalar>,
    pub ipam: Option<Ipam>,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct Ipam {
    pub driver: Option<String>,
    pub config: Vec<IpamPool>,
    pub options: BTreeMap<String, Scalar>,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct IpamPool {
    pub subnet: Option<String>,
    pub ip_range: Option<String>,
    pub gateway: Option<String>,
    pub aux_addresses: BTreeMap<String, String>,
}

/// The extra keys of a volume in the compose file.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct VolumeExtra {
    pub driver_opts: BTreeMap<String, Scalar>,
}

/// The extra keys of a service's network entry.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct EndpointExtra {
    pub priority: Option<Scalar>,
    pub gw_priority: Option<Scalar>,
    pub mac_address: Option<String>,
    pub driver_opts: BTreeMap<String, Scalar>,
    pub link_local_ips: Vec<String>,
    pub interface_name: Option<String>,
}

/// The long-syntax options of a service volume (`bind:`, `volume:`, `tmpfs:`).
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct BindOptions {
    pub propagation: Option<String>,
    pub create_host_path: Option<bool>,
    pub selinux: Option<String>,
    pub recursive: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct VolumeOptions {
    pub nocopy: bool,
    pub subpath: Option<String>,
    pub labels: BTreeMap<String, Scalar>,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct TmpfsOptions {
    pub size: Option<Scalar>,
    pub mode: Option<Scalar>,
}

/// Free-form values as text, dropping nulls.
pub fn texts(map: &BTreeMap<String, Scalar>) -> BTreeMap<String, String> {
    map.iter().map(|(k, v)| (k.clone(), v.text())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sizes_parse_like_docker() {
        assert_eq!(parse_bytes("48m"), Ok(48 << 20));
        assert_eq!(parse_bytes("1g"), Ok(1 << 30));
        assert_eq!(parse_bytes("512KB"), Ok(512 << 10));
        assert_eq!(parse_bytes("2MiB"), Ok(2 << 20));
        assert_eq!(parse_bytes("1.5k"), Ok(1536));
        assert!(parse_bytes("3ki").is_err()); // go-units wants "kib" or "kb"
        assert_eq!(parse_bytes("50331648"), Ok(50_331_648));
        assert_eq!(parse_bytes("-1"), Ok(-1));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("12q").is_err());
    }

    #[test]
    fn scalars_convert_as_compose_does() {
        assert_eq!(Scalar::Str("0440".into()).mode(), Ok(0o440));
        assert_eq!(Scalar::Int(288).mode(), Ok(0o440));
        assert_eq!(Scalar::Str("400ms".into()).micros(), Ok(400_000));
        assert_eq!(Scalar::Int(1000).micros(), Ok(1000));
        assert_eq!(Scalar::Float(0.25).float(), Ok(0.25));
        assert_eq!(Scalar::Str("0.5".into()).float(), Ok(0.5));
        assert_eq!(Scalar::Bool(true).text(), "true");
        assert!(Scalar::Str("x".into()).int().is_err());
    }

    #[test]
    fn runtime_reads_the_canonical_tree() {
        let service: Service = serde_json::from_value(json!({
            "image": "x",
            "mem_limit": "50331648",
            "cpus": 0.25,
            "ulimits": {"nofile": {"soft": 1024, "hard": 2048}, "nproc": 500},
            "devices": [{"source": "/dev/null", "target": "/dev/xnull", "permissions": "rwm"}, "/dev/zero"],
            "blkio_config": {"weight": 300, "device_read_bps": [{"Path": "/dev/sda", "Rate": "12582912"}]},
            "deploy": {"replicas": 3, "resources": {"limits": {"memory": "67108864", "cpus": 0.5, "pids": 40}}},
            "secrets": [{"source": "s", "target": "/run/secrets/s"}],
            "dns_search": "example.com",
            "logging": {"options": {"max-size": "1m"}}
        }))
        .unwrap();
        let rt = Runtime::of(&service).unwrap();
        assert_eq!(rt.mem_limit.as_ref().unwrap().bytes(), Ok(50_331_648));
        assert_eq!(rt.scale(), Ok(3));
        assert_eq!(rt.ulimits["nproc"], Ulimit::Single(Scalar::Int(500)));
        assert_eq!(
            rt.devices[1].parts(),
            ("/dev/zero".into(), "/dev/zero".into(), "rwm".into())
        );
        assert_eq!(
            rt.blkio_config.as_ref().unwrap().device_read_bps[0].path,
            "/dev/sda"
        );
        assert_eq!(rt.dns_search.to_vec(), vec!["example.com".to_string()]);
        let listed: Service = serde_json::from_value(json!({
            "image": "x", "annotations": ["a=b", "c"], "sysctls": {"k": 1}
        }))
        .unwrap();
        let rt = Runtime::of(&listed).unwrap();
        assert_eq!(rt.annotations.to_map()["a"], "b");
        assert_eq!(rt.annotations.to_map()["c"], "");
        assert_eq!(rt.sysctls.to_map()["k"], "1");
        let bad: Service = serde_json::from_value(json!({"image": "x", "ulimits": [1]})).unwrap();
        let err = Runtime::of(&bad).unwrap_err();
        assert!(err.contains("ulimits"), "{err}");
    }
}
