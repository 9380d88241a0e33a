"""Full screens: sites, one site (setup and contacts), Customers and Suppliers."""
