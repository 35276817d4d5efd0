# silo-plan export-script rails: writes the references of every ActiveRecord model as a
# silo-plan references file (format: schemas/references.schema.json).
#
# Run it inside the app, where the models load:
#
#     bin/rails runner export-rails.rb
#
# It writes silo-plan-references.json in the working directory (another path:
# SILO_PLAN_REFERENCES=path). Then add `references = ["silo-plan-references.json"]` to
# silo-plan.toml. It reads model metadata only: no query runs, nothing is written but the file.
#
# What it exports: every belongs_to (the child's foreign key → the parent's primary key), and
# every has_many / has_one without a matching belongs_to, with what Rails does when the parent
# is destroyed, from the parent's `dependent:` (destroy, destroy_async, delete, delete_all →
# cascade; nullify → set-null; restrict_with_error, restrict_with_exception → restrict; none →
# no-action: the child keeps a dangling id). A polymorphic belongs_to has no single parent: it is
# listed as unresolved, with the concrete types whose `has_many ..., as:` name it.
require "json"

module SiloPlanExport
  ACTIONS = {
    destroy: "cascade", destroy_async: "cascade", delete: "cascade", delete_all: "cascade",
    nullify: "set-null",
    restrict_with_error: "restrict", restrict_with_exception: "restrict"
  }.freeze

  module_function

  def models
    Rails.application.eager_load! if defined?(Rails) && Rails.respond_to?(:application) && Rails.application
    ActiveRecord::Base.descendants
                      .reject(&:abstract_class?)
                      .select { |m| m.table_name && m.table_exists? }
                      .sort_by(&:name)
  end

  def source(model, name)
    file = Object.const_source_location(model.name)&.first if Object.respond_to?(:const_source_location)
    where = file ? file.sub(%r{\A#{Regexp.escape(Dir.pwd)}/}, "") : nil
    where ? "#{where}: #{model.name}.#{name}" : "#{model.name}.#{name}"
  end

  # The parent's association that owns `child`'s key `fk`, with its dependent: option.
  def owning(parent, child, fk)
    parent.reflect_on_all_associations.find do |r|
      (r.macro == :has_many || r.macro == :has_one) && !r.through_reflection? &&
        !r.options[:as] && r.foreign_key.to_s == fk &&
        (r.klass.table_name == child.table_name rescue false)
    end
  end

  def action(owner)
    return "no-action" unless owner
    ACTIONS.fetch(owner.options[:dependent], owner.options[:dependent] ? nil : "no-action")
  end

  def run
    refs = {}
    unresolved = {}
    all = models
    all.each do |model|
      model.reflect_on_all_associations(:belongs_to).each do |r|
        fk = r.foreign_key.to_s
        if r.polymorphic?
          types = all.select do |m|
            m.reflect_on_all_associations.any? { |o| o.options[:as] == r.name && (o.klass.table_name == model.table_name rescue false) }
          end
          unresolved[[model.table_name, fk]] ||= {
            "table" => model.table_name, "columns" => [fk, r.foreign_type.to_s],
            "candidates" => types.map(&:table_name).uniq.sort,
            "origin" => source(model, r.name), "reason" => "polymorphic"
          }
          next
        end
        parent = r.klass
        owner = owning(parent, model, fk)
        ref = {
          "table" => model.table_name, "columns" => [fk],
          "referenced_table" => parent.table_name,
          "referenced_columns" => [(r.options[:primary_key] || parent.primary_key).to_s],
          "origin" => source(model, r.name)
        }
        act = action(owner)
        if act
          ref["on_delete"] = act
        else
          ref["reason"] = "dependent: #{owner.options[:dependent]} has no silo-plan equivalent"
        end
        refs[[model.table_name, fk]] ||= ref
      end
    end
    # has_many / has_one whose child model declares no belongs_to for the key.
    all.each do |parent|
      parent.reflect_on_all_associations.each do |r|
        next unless (r.macro == :has_many || r.macro == :has_one) && !r.through_reflection? && !r.options[:as]
        child = (r.klass rescue nil)
        next unless child && child.table_exists?
        key = [child.table_name, r.foreign_key.to_s]
        next if refs.key?(key) || unresolved.key?(key)
        act = action(r)
        ref = {
          "table" => child.table_name, "columns" => [r.foreign_key.to_s],
          "referenced_table" => parent.table_name,
          "referenced_columns" => [(r.options[:primary_key] || parent.primary_key).to_s],
          "origin" => source(parent, r.name)
        }
        act ? ref["on_delete"] = act : ref["reason"] = "dependent: #{r.options[:dependent]} has no silo-plan equivalent"
        refs[key] = ref
      end
    end
    {
      "version" => 1,
      "source" => "silo-plan export-script rails (ActiveRecord #{ActiveRecord.version})",
      "references" => refs.keys.sort.map { |k| refs[k].sort.to_h },
      "unresolved" => unresolved.keys.sort.map { |k| unresolved[k].sort.to_h }
    }
  end
end

out = ENV.fetch("SILO_PLAN_REFERENCES", "silo-plan-references.json")
data = SiloPlanExport.run
File.write(out, JSON.pretty_generate(data) + "\n")
warn "silo-plan: wrote #{data['references'].size} references and #{data['unresolved'].size} unresolved to #{out}"
