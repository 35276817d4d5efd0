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
}

impl Analysis {
    /// Reads the dumps and resolves the config against them. Fails on a config that does not
    /// fit the dump (a pattern matching no table, an ambiguous or partition-splitting map, an
    /// edge or allow entry matching no foreign key).
    pub fn new(cfg: Config, sources: Vec<SourceFile>) -> Result<Analysis, ConfigError> {
        let cat = dump::read(
            &sources,
            &ReadOptions {
                dialect: cfg.dialect,
            },
        );
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

    /// Every `check` finding, in stable order.
    pub fn check(&self, opts: CheckOptions) -> Vec<Finding> {
        check::check(&self.input(), opts)
    }
}
