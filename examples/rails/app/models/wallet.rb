# Region silo.
class Wallet < ApplicationRecord
  belongs_to :customer
end
