//! Timing helpers shared by the bench binaries (`read.rs`, `pipeline.rs`, `queries.rs`): a
//! stopwatch of the measuring thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`) with wall time beside
//! it, the peak resident set size of the process, running a memory-measuring child, and the
//! global allocator.

#![allow(dead_code)]

use std::time::{Duration, Instant};

/// The allocator `silo-plan` itself uses (planner/main.rs), so the benches measure what a user
/// runs; the baselines (bare sqlparser) run on it too.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What planner/main.rs's `keep_freed_memory` does before a command runs (mimalloc's
/// `purge_delay` = -1: freed memory is kept, not handed back to the OS), so the benches measure
/// the allocator as the command configures it. Call it first in `main`.
pub fn configure_allocator() {
    // SAFETY: see planner/main.rs: option 15 is `purge_delay` in the pinned mimalloc 3, checked
    // by the binary's `purge_delay_is_the_option_we_set` test.
    unsafe { libmimalloc_sys::mi_option_set(15, -1) }
}

/// One measured time: on-CPU time of this thread (the figure reported, since it does not
/// count time the thread spent waiting for a core that other processes held) and wall time.
#[derive(Debug, Clone, Copy)]
pub struct T {
    pub cpu: Duration,
    pub wall: Duration,
    /// Minor page faults of this thread (memory touched for the first time: the kernel zeroes
    /// each page, and that time is part of `cpu`).
    pub faults: u64,
}

impl T {
    pub const ZERO: T = T {
        cpu: Duration::ZERO,
        wall: Duration::ZERO,
        faults: 0,
    };

    /// Each figure's minimum, on its own.
    pub fn min(self, o: T) -> T {
        T {
            cpu: self.cpu.min(o.cpu),
            wall: self.wall.min(o.wall),
            faults: self.faults.min(o.faults),
        }
    }

    pub fn add(self, o: T) -> T {
        T {
            cpu: self.cpu + o.cpu,
            wall: self.wall + o.wall,
            faults: self.faults + o.faults,
        }
    }
}

/// Starts both clocks.
pub struct Stopwatch {
    wall: Instant,
    cpu: Duration,
    faults: u64,
}

impl Stopwatch {
    pub fn start() -> Self {
        Stopwatch {
            faults: thread_minor_faults(),
            cpu: thread_cpu(),
            wall: Instant::now(),
        }
    }
    pub fn stop(&self) -> T {
        let wall = self.wall.elapsed();
        let cpu = thread_cpu().saturating_sub(self.cpu);
        T {
            cpu,
            wall,
            faults: thread_minor_faults().saturating_sub(self.faults),
        }
    }
}

/// Minor page faults of the calling thread so far (`getrusage(RUSAGE_THREAD)`).
#[cfg(target_os = "linux")]
pub fn thread_minor_faults() -> u64 {
    #[repr(C)]
    struct Rusage {
        utime: [i64; 2],
        stime: [i64; 2],
        // maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd,
        // msgrcv, nsignals, nvcsw, nivcsw
        longs: [i64; 14],
    }
    extern "C" {
        fn getrusage(who: i32, usage: *mut Rusage) -> i32;
    }
    const RUSAGE_THREAD: i32 = 1;
    let mut r = Rusage {
        utime: [0; 2],
        stime: [0; 2],
        longs: [0; 14],
    };
    // SAFETY: getrusage writes one `struct rusage` (two timevals and 14 longs on 64-bit Linux)
    // to a valid pointer.
    let rc = unsafe { getrusage(RUSAGE_THREAD, &mut r) };
    assert_eq!(rc, 0, "getrusage(RUSAGE_THREAD)");
    r.longs[4] as u64
}

/// Elsewhere, not counted.
#[cfg(not(target_os = "linux"))]
pub fn thread_minor_faults() -> u64 {
    0
}

/// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`, nanosecond resolution).
#[cfg(target_os = "linux")]
pub fn thread_cpu() -> Duration {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec (two 64-bit fields on 64-bit Linux) to a valid
    // pointer.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Elsewhere, wall time stands in for CPU time.
#[cfg(not(target_os = "linux"))]
pub fn thread_cpu() -> Duration {
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

/// Milliseconds of CPU time.
pub fn ms(t: T) -> f64 {
    t.cpu.as_secs_f64() * 1e3
}

/// Milliseconds of wall time.
pub fn wall_ms(t: T) -> f64 {
    t.wall.as_secs_f64() * 1e3
}

/// Ratio of CPU times.
pub fn ratio(a: T, b: T) -> f64 {
    a.cpu.as_secs_f64() / b.cpu.as_secs_f64()
}

/// Ratio of wall times.
pub fn wall_ratio(a: T, b: T) -> f64 {
    a.wall.as_secs_f64() / b.wall.as_secs_f64()
}

/// The process's peak resident set size, in KiB.
pub fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// What a memory child (the bench binary run again with `env` set to `value`) reported:
/// peak resident set, the part of it that is the dump's text, CPU and wall time.
pub struct ChildMemory {
    pub peak_kb: f64,
    pub text_kb: f64,
    pub cpu_ms: f64,
    pub wall_ms: f64,
}

impl ChildMemory {
    pub fn peak_mib(&self) -> f64 {
        self.peak_kb / 1024.0
    }
    pub fn peak_gib(&self) -> f64 {
        self.peak_kb / (1024.0 * 1024.0)
    }
    pub fn text_mib(&self) -> f64 {
        self.text_kb / 1024.0
    }
}

/// Runs this binary again with `env=value` and reads the `key value` pairs it prints
/// (`peak_kb`, `text_kb`, `ms`, `wall_ms`; a missing one is NaN).
pub fn memory_child(env: &str, value: &str) -> Result<ChildMemory, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = std::process::Command::new(&exe)
        .env(env, value)
        .output()
        .map_err(|e| format!("spawn the memory child: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "child failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let s = String::from_utf8_lossy(&out.stdout);
    let get = |key: &str| -> f64 {
        s.split_whitespace()
            .skip_while(|w| *w != key)
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    };
    Ok(ChildMemory {
        peak_kb: get("peak_kb"),
        text_kb: get("text_kb"),
        cpu_ms: get("ms"),
        wall_ms: get("wall_ms"),
    })
}
