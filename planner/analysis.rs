//! The analysis every config-driven command starts from: the dump read into a catalog, the
//! silo map resolved against it, the `[[edges]]` / `[[allow]]` entries matched to foreign keys,
//! and the object graph. No I/O: the caller loads the config and the dump files.

use crate::assign::{self, Assignment, RuleMatches};
use crate::catalog::Catalog;
use crate::check::{self, CheckOptions};
use crate::config::{Config, ConfigError};
use crate::dump::{self, ReadOptions};
use crate::findings::Finding;
use crate::graph::{self, Graph};
use crate::plan;
use crate::source::SourceFile;

/// Everything `check`, `explain`, `plan` and `simulate` read.
pub struct Analysis {
    /// The silo map.
    pub cfg: Config,
    /// The dump files, in reading order.
    pub sources: Vec<SourceFile>,
    /// What the dump defines.
    pub cat: Catalog,
    /// Every table (and view) placed in a silo, in `[shared]`, or unassigned.
    pub asg: Assignment,
    /// Which `[[edges]]` / `[[allow]]` entry applies to which foreign key.
    pub rules: RuleMatches,
    /// The object graph.
    pub graph: Graph,
    /// The columns inference found several parents for, and the polymorphic ones.
    pub inferred: crate::refs_resolve::Extra,
}

impl Analysis {
    /// Reads the dumps and resolves the config against them: the references it declares and
    /// imports, and those inferred, join the dump's foreign keys
    /// ([`crate::refs_resolve::resolve`]). Fails on a config that does not fit the dump (a
    /// pattern matching no table, an ambiguous or partition-splitting map, an edge or allow
    /// entry matching no reference, a reference that does not fit its tables).
    pub fn new(cfg: Config, sources: Vec<SourceFile>) -> Result<Analysis, ConfigError> {
        let mut cat = dump::read(
            &sources,
            &ReadOptions {
                dialect: cfg.dialect,
            },
        );
        // Every reference into one list: declared, imported and inferred ones after the
        // constraints, so that each later stage sees them all.
        let inferred = crate::refs_resolve::resolve(&mut cat, &cfg)?;
        let asg = assign::assign(&cat, &cfg)?;
        let rules = assign::match_rules(&cat, &cfg)?;
        let graph = graph::build(&cat, |i| sources.get(i as usize).map(|s| s.text.as_str()));
        Ok(Analysis {
            cfg,
            sources,
            cat,
            asg,
            rules,
            graph,
            inferred,
        })
    }

    /// The planners' view of it.
    pub fn input(&self) -> plan::Input<'_> {
        plan::Input {
            cat: &self.cat,
            sources: &self.sources,
            cfg: &self.cfg,
            asg: &self.asg,
            rules: &self.rules,
            graph: &self.graph,
        }
    }

    /// Names the config by its file name and every dump by its path relative to the config's
    /// directory, here and in `findings` (which this analysis made), as `plan` names them: the
    /// plan then reads the same whatever the working directory `cwd` and however the config
    /// and dumps were given. `findings` are sorted again, by their new file names.
    pub fn name_files_from_config(&mut self, cwd: &std::path::Path, findings: &mut [Finding]) {
        use crate::paths::{absolute, relative};
        let dir = absolute(cwd, &self.cfg.dir);
        let mut renamed: Vec<(String, String)> = Vec::new();
        let config = absolute(cwd, std::path::Path::new(&self.cfg.path));
        let config_name = relative(&dir, &config);
        renamed.push((
            std::mem::replace(&mut self.cfg.path, config_name.clone()),
            config_name,
        ));
        for (s, f) in self.sources.iter_mut().zip(&mut self.cat.files) {
            let name = relative(&dir, &absolute(cwd, std::path::Path::new(&s.path)));
            renamed.push((std::mem::replace(&mut s.path, name.clone()), name.clone()));
            *f = name;
        }
        let rename = |file: &mut String| {
            if let Some((_, new)) = renamed.iter().find(|(old, _)| old == file) {
                file.clone_from(new);
            }
        };
        for f in findings.iter_mut() {
            if let Some(l) = &mut f.location {
                rename(&mut l.file);
            }
            for r in &mut f.related {
                rename(&mut r.location.file);
            }
        }
        crate::findings::sort(findings);
    }

    /// Every `check` finding, in stable order.
    pub fn check(&self, opts: CheckOptions) -> Vec<Finding> {
        check::check(&self.input(), opts)
    }
}
