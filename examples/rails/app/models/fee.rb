# Region silo.
class Fee < ApplicationRecord
  belongs_to :invoice
end
