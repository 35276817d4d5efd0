# Region silo.
class Customer < ApplicationRecord
  belongs_to :organization
  has_many :invoices, dependent: :destroy
  has_one :wallet, dependent: :restrict_with_error
  has_many :comments, as: :commentable, dependent: :destroy
end
