class CreateBilling < ActiveRecord::Migration[6.1]
  def change
    create_table :customers do |t|
      t.references :organization, null: false, foreign_key: true
      t.string :name
      t.timestamps
    end
    # A Rails app often never calls add_foreign_key: created_by_id, events.organization_id
    # and the polymorphic comments.commentable_id are plain columns.
    create_table :invoices do |t|
      t.references :customer, null: false, foreign_key: true
      t.references :created_by, foreign_key: false
      t.decimal :amount, precision: 12, scale: 2
      t.timestamps
    end
    create_table :fees do |t|
      t.references :invoice, null: false, foreign_key: true
      t.decimal :amount, precision: 12, scale: 2
      t.timestamps
    end
    create_table :wallets do |t|
      t.references :customer, null: false, foreign_key: true
      t.decimal :balance, precision: 12, scale: 2
      t.timestamps
    end
    create_table :events do |t|
      t.references :organization, null: false, foreign_key: false
      t.string :code
      t.timestamps
    end
    create_table :comments do |t|
      t.references :commentable, polymorphic: true, null: false
      t.text :body
      t.timestamps
    end
  end
end
