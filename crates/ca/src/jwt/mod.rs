//! JWT-SVIDs: minting through the KeyManager and validation against a bundle. (being written)
