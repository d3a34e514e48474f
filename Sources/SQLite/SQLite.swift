// module — placeholder
