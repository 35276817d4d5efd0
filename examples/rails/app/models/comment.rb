# Region silo: a polymorphic reference (commentable_type, commentable_id).
class Comment < ApplicationRecord
  belongs_to :commentable, polymorphic: true
end
