# Region silo: usage events, written at high volume, no constraint (as Lago's events).
class Event < ApplicationRecord
  belongs_to :organization
end
