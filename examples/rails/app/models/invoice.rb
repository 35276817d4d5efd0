# Region silo.
class Invoice < ApplicationRecord
  belongs_to :customer
  belongs_to :created_by, class_name: "User", optional: true
  has_many :fees, dependent: :delete_all
  has_many :comments, as: :commentable, dependent: :destroy
end
