# Control silo.
class Organization < ApplicationRecord
  has_many :memberships, dependent: :destroy
  has_many :customers, dependent: :destroy
  has_many :events # no dependent: the rows stay with a dangling organization_id
end
