"""capsule-tui: Capsule CRM contacts into Customers and Suppliers, from the terminal."""
