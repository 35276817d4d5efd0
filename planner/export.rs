//! The exporters of `silo-plan export-script`: scripts a team runs inside its own application,
//! where the models load, to write the references its ORM knows (and the database does not) as
//! a references file ([`crate::refs_file`]) to import with `references = [...]`.
//!
//! The scripts are product code the team reads before running: they live in
//! `templates/export/` as plain Python and Ruby (not templated), and read model metadata only.

/// A framework an exporter exists for (telling which framework wrote a dump is another module's job).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exporter {
    /// Django: every ForeignKey / OneToOneField with its `on_delete`
    /// (`python manage.py shell < export-django.py`).
    Django,
    /// Rails (ActiveRecord): every `belongs_to`, and `has_many`/`has_one` with `dependent:`
    /// (`bin/rails runner export-rails.rb`).
    Rails,
}

impl Exporter {
    /// The exporter script.
    pub fn script(self) -> &'static str {
        match self {
            Exporter::Django => include_str!("../templates/export/django.py"),
            Exporter::Rails => include_str!("../templates/export/rails.rb"),
        }
    }

    /// The command that runs the script saved as `file`, inside the application.
    pub fn how_to_run(self, file: &str) -> String {
        match self {
            Exporter::Django => format!("python manage.py shell < {file}"),
            Exporter::Rails => format!("bin/rails runner {file}"),
        }
    }
}
