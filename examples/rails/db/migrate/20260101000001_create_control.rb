class CreateControl < ActiveRecord::Migration[6.1]
  def change
    create_table :organizations do |t|
      t.string :name, null: false
      t.timestamps
    end
    create_table :users do |t|
      t.string :email, null: false, index: { unique: true }
      t.timestamps
    end
    create_table :memberships do |t|
      t.references :organization, null: false, foreign_key: true
      t.references :user, null: false, foreign_key: true
      t.timestamps
    end
  end
end
