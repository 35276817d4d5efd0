# Control silo.
class User < ApplicationRecord
  has_many :memberships, dependent: :destroy
  has_many :created_invoices, class_name: "Invoice", foreign_key: :created_by_id,
                              dependent: :nullify
end
