# Loads ActiveRecord (Debian's ruby-activerecord) and the app's models, connected through the
# standard libpq environment variables (PGHOST, PGPORT, PGDATABASE, PGUSER). The example is an
# ActiveRecord app without the rest of Rails; `bin/runner` plays `rails runner`.
require "active_record"

ActiveRecord::Base.establish_connection(
  adapter: "postgresql",
  host: ENV.fetch("PGHOST", "127.0.0.1"),
  port: ENV.fetch("PGPORT", "5432"),
  database: ENV.fetch("PGDATABASE", "billing"),
  username: ENV.fetch("PGUSER", "postgres"),
  password: ENV["PGPASSWORD"]
)

APP_ROOT = File.expand_path("..", __dir__)
Dir[File.join(APP_ROOT, "app/models/*.rb")].sort.each { |f| require f }
